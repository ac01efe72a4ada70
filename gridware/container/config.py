"""Container configuration: a TOML file, plus services from entry points.

Example ``container.toml``::

    [container]
    host = "127.0.0.1"
    port = 8080
    max_message_size = "16MiB"
    log_level = "INFO"

    [[service]]
    name = "CounterService"
    class = "gridware.services.samples:CounterService"
    dialect = "wsrf-1.2"          # or "gt4"

    [[service]]
    name = "Notebooks"
    class = "mypackage.notebook:NotebookService"
    persistent = true             # resources survive restarts (see state_dir, database)

    [[service]]
    entry_point = "myservice"     # a service of the gridware.services entry-point group
    name = "MyService"
    [service.options]
    greeting = "hello"

Persistent services keep their resources in ``container.database`` (a
``postgresql://`` URL) or else in a SQLite file under ``container.state_dir``
(default ``$XDG_STATE_HOME/gridware`` or ``~/.local/state/gridware``);
``sqlite_synchronous = "normal"`` trades durability on power loss for speed.

Every service of the ``gridware.services`` entry-point group is deployed too,
under its entry-point name, unless ``entry_points = false`` in ``[container]``
(or the config lists that entry point itself).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridware.container.resource import ResourceHome
from gridware.container.security import HostSecurity, SecurityConfigError, ServiceSecurity
from gridware.container.service import Service
from gridware.container.xml import DEFAULT_MAX_SIZE

if TYPE_CHECKING:
    from gridware.container.persistence import ResourceStore

ENTRY_POINT_GROUP = "gridware.services"


class ConfigError(ValueError):
    """The configuration is wrong; the message names the file and the setting."""


@dataclass
class ServiceConfig:
    """One ``[[service]]`` table."""

    factory: str  # "module:attr" or "entry-point:name"
    name: str | None = None
    dialect: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    security: dict[str, Any] | None = None  # [service.security]
    persistent: bool = False


@dataclass
class ContainerConfig:
    """The ``[container]`` table and the services to deploy."""

    host: str = "127.0.0.1"
    port: int = 8080
    max_message_size: int = DEFAULT_MAX_SIZE
    max_depth: int = 256
    sweep_interval: float = 1.0
    idle_timeout: float = 60.0
    advertised_host: str | None = None
    log_level: str = "INFO"
    entry_points: bool = True
    demo: bool = False
    index: bool = True  # deploy the default index (DefaultIndexService)
    services: list[ServiceConfig] = field(default_factory=list)
    source: str = "<defaults>"
    security: dict[str, Any] | None = None  # [container.security]
    state_dir: str | None = None
    database: str | None = None
    sqlite_synchronous: str = "full"

    def container_options(self) -> dict[str, Any]:
        return {
            "max_message_size": self.max_message_size,
            "max_depth": self.max_depth,
            "sweep_interval": self.sweep_interval,
            "advertised_host": self.advertised_host,
            "idle_timeout": self.idle_timeout,
            "index": self.index,
        }


_SIZE_RE = re.compile(r"^\s*([0-9]+)\s*([KMG]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 10**6,
    "mib": 2**20,
    "gb": 10**9,
    "gib": 2**30,
}


def parse_size(value: Any, where: str) -> int:
    """``16777216``, ``"16MiB"``, ``"512KB"`` -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m:
            n = int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
            if n > 0:
                return n
    raise ConfigError(f'{where}: {value!r} is not a size (use bytes or e.g. "16MiB")')


_CONTAINER_KEYS: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "max_message_size": (int, str),
    "max_depth": int,
    "sweep_interval": (int, float),
    "idle_timeout": (int, float),
    "advertised_host": str,
    "log_level": str,
    "entry_points": bool,
    "demo": bool,
    "index": bool,
    "state_dir": str,
    "database": str,
    "sqlite_synchronous": str,
}
_SERVICE_KEYS = {"name", "class", "entry_point", "dialect", "options", "security", "persistent"}
_HOST_SECURITY_KEYS = {"certificate", "key", "cert_dir", "gridmap", "https_port", "clock_skew"}


def load_config(path: str | Path | None) -> ContainerConfig:
    """Read a TOML config file (``None``: the defaults)."""
    cfg = ContainerConfig()
    if path is None:
        return cfg
    p = Path(path)
    cfg.source = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {p}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {p} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {p} is not valid TOML: {exc}") from None
    unknown = set(data) - {"container", "service"}
    if unknown:
        raise ConfigError(f"{p}: unknown section(s) {', '.join(sorted(unknown))}")
    table = data.get("container", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{p}: [container] must be a table")
    for key, value in table.items():
        if key == "security":
            if not isinstance(value, dict):
                raise ConfigError(f"{p}: [container.security] must be a table")
            unknown_sec = set(value) - _HOST_SECURITY_KEYS
            if unknown_sec:
                known = ", ".join(sorted(_HOST_SECURITY_KEYS))
                raise ConfigError(
                    f"{p}: unknown setting(s) container.security."
                    f"{', '.join(sorted(unknown_sec))} (known: {known})"
                )
            cfg.security = value
            continue
        expected = _CONTAINER_KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_CONTAINER_KEYS))
            raise ConfigError(f"{p}: unknown setting container.{key} (known: {known})")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"{p}: container.{key} has the wrong type ({type(value).__name__})")
        if key == "max_message_size":
            value = parse_size(value, f"{p}: container.max_message_size")
        setattr(cfg, key, value)
    if not 0 <= cfg.port <= 65535:
        raise ConfigError(f"{p}: container.port {cfg.port} is not a TCP port")
    if cfg.sqlite_synchronous not in ("full", "normal"):
        raise ConfigError(f'{p}: container.sqlite_synchronous must be "full" or "normal"')
    services = data.get("service", [])
    if not isinstance(services, list):
        raise ConfigError(f"{p}: use [[service]] tables for services")
    for i, s in enumerate(services, 1):
        where = f"{p}: service #{i}"
        unknown = set(s) - _SERVICE_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if ("class" in s) == ("entry_point" in s):
            raise ConfigError(f'{where}: give exactly one of class = "module:Class" or entry_point')
        factory = s["class"] if "class" in s else f"entry-point:{s['entry_point']}"
        options = s.get("options", {})
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: options must be a table")
        for key in ("name", "dialect"):
            if key in s and not isinstance(s[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        security = s.get("security")
        if security is not None and not isinstance(security, dict):
            raise ConfigError(f"{where}: security must be a table")
        persistent = s.get("persistent", False)
        if not isinstance(persistent, bool):
            raise ConfigError(f"{where}: persistent must be true or false")
        cfg.services.append(
            ServiceConfig(factory, s.get("name"), s.get("dialect"), options, security, persistent)
        )
    return cfg


def _load_factory(spec: str, where: str) -> type[Service]:
    if spec.startswith("entry-point:"):
        name = spec.partition(":")[2]
        eps = [
            ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name
        ]
        if not eps:
            raise ConfigError(f"{where}: no entry point {name!r} in group {ENTRY_POINT_GROUP}")
        try:
            obj = eps[0].load()
        except Exception as exc:
            raise ConfigError(f"{where}: entry point {name!r} fails to load: {exc}") from None
    else:
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ConfigError(f'{where}: class {spec!r} must be written "module:Class"')
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise ConfigError(f"{where}: cannot import {module_name}: {exc}") from None
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                raise ConfigError(f"{where}: {module_name} has no {attr}")
    if not (isinstance(obj, type) and issubclass(obj, Service)):
        raise ConfigError(f"{where}: {spec} is not a gridware Service class")
    return obj


def host_security(cfg: ContainerConfig) -> HostSecurity | None:
    """Load ``[container.security]`` now; a problem is a :class:`ConfigError`."""
    table = cfg.security
    if table is None:
        return None
    where = f"{cfg.source}: [container.security]"
    for key in ("certificate", "key"):
        if not isinstance(table.get(key), str):
            raise ConfigError(f'{where}: {key} = "PATH" is required')
    skew = table.get("clock_skew", 300)
    if not isinstance(skew, int | float) or isinstance(skew, bool) or skew < 0:
        raise ConfigError(f"{where}: clock_skew is a number of seconds")
    port = table.get("https_port")
    if port is not None and (not isinstance(port, int) or not 0 <= port <= 65535):
        raise ConfigError(f"{where}: https_port {port!r} is not a TCP port")
    try:
        return HostSecurity.load(
            table["certificate"],
            table["key"],
            table.get("cert_dir"),
            table.get("gridmap"),
            clock_skew=timedelta(seconds=skew),
        )
    except SecurityConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def needs_store(cfg: ContainerConfig) -> bool:
    """Whether a configured service is persistent (the CLI then opens a store)."""
    return cfg.demo or any(sc.persistent for sc in cfg.services)


def open_store(cfg: ContainerConfig) -> ResourceStore:
    """The resource store of ``[container]`` (raises :class:`PersistenceError`)."""
    from gridware.container.persistence import ResourceStore

    return ResourceStore.open(
        cfg.database, state_dir=cfg.state_dir, synchronous=cfg.sqlite_synchronous
    )


def persistent_home(store: ResourceStore, name: str, cls: type[Service]) -> ResourceHome[Any]:
    """A home in ``store`` for the resources of service class ``cls`` deployed as ``name``."""
    if cls.resource_class is None:
        raise ValueError(f"{cls.__name__} has no resources to keep")
    return store.home(name, cls.resource_class, singleton=cls.singleton)


def build_services(
    cfg: ContainerConfig, host: HostSecurity | None = None, store: ResourceStore | None = None
) -> list[Service]:
    """Instantiate every configured service (and the entry-point ones).

    Services marked ``persistent`` get a home in ``store`` (required then).
    """
    out: list[Service] = []
    listed: set[str] = set()
    for i, sc in enumerate(cfg.services, 1):
        where = f"{cfg.source}: service #{i}"
        cls = _load_factory(sc.factory, where)
        if sc.factory.startswith("entry-point:"):
            listed.add(sc.factory.partition(":")[2])
        home = None
        if sc.persistent:
            if cls.resource_class is None:
                raise ConfigError(
                    f"{where}: {cls.__name__} has no resources: it cannot be persistent"
                )
            if store is None:
                raise ConfigError(f"{where}: a persistent service needs a resource store")
            try:
                home = persistent_home(store, sc.name or cls.__name__, cls)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        service = _instantiate(cls, sc.name, sc.dialect, sc.options, where, home)
        if sc.security is not None:
            try:
                service.security = ServiceSecurity.from_config(sc.security, host, where)
            except SecurityConfigError as exc:
                raise ConfigError(str(exc)) from None
        out.append(service)
    if cfg.entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in listed:
                continue
            where = f"entry point {ep.name!r} ({ep.value})"
            cls = _load_factory(f"entry-point:{ep.name}", where)
            out.append(_instantiate(cls, ep.name, None, {}, where))
    return out


def _instantiate(
    cls: type[Service],
    name: str | None,
    dialect: str | None,
    options: dict[str, Any],
    where: str,
    home: ResourceHome[Any] | None = None,
) -> Service:
    try:
        if home is not None:
            return cls(name, dialect=dialect, options=options, home=home)
        return cls(name, dialect=dialect, options=options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot create {cls.__name__}: {exc}") from None
