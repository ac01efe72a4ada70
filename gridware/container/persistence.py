"""Persistent resource homes: SQLite by default, PostgreSQL for a site.

A :class:`ResourceStore` is one database (a SQLite file under the container's
state directory, or a ``postgresql://`` URL) holding the resources of every
persistent service in one table, keyed by service name and resource key::

    store = ResourceStore.open(state_dir="/var/lib/gridware")   # or database="postgresql://..."
    service = NotebookService("Notebooks", home=store.home("Notebooks", Notebook))

A resource's stored state is what :class:`~gridware.container.resource.Resource`
documents: its resource property values (as their XML elements), its termination
time, its creator and its ``persistent_attributes`` (JSON).  Every change is a
transaction, committed before the request that made it is answered: ``add``
inserts, ``save`` updates (only when the state changed), ``destroy`` deletes.
Lookups are answered from an in-memory cache after a resource's first load, so
they cost a dict lookup; a cold lookup is one primary-key query.

When a home opens it recovers the termination times of its resources, so the
container's sweeper destroys what expired while it was down and what expires
later.  One container owns a database (SQLite, through a lock file) or a
service's rows in it (PostgreSQL, through an advisory lock held for the life of
the store): a second container is refused instead of silently sharing state.

The schema is versioned (table ``gridware_schema_version``); opening a store
applies the migrations it lacks in one transaction, and refuses a database
written by a newer gridware.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import heapq
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL

from gridware.codegen.runtime import SimpleTypeError
from gridware.container import ns
from gridware.container.faults import ResourceNotDestroyedFault, ResourceUnknownFault
from gridware.container.log import event
from gridware.container.resource import Resource, ResourceHome, ResourceProperty
from gridware.container.xml import XMLError, XMLLimits, parse_xml, qname

log = logging.getLogger("gridware.persistence")

#: The schema version this gridware writes (the last migration's).
SCHEMA_VERSION = 1
SQLITE_FILE = "resources.sqlite3"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_STATE_TAG = qname(ns.GRIDWARE, "PersistedProperties")
_EMPTY_ATTR = "empty"  # tags of the properties stored with no value
_SINGLETON_KEY = ""  # the row key of a singleton service's resource
_STATE_LIMITS = XMLLimits(max_size=2**31 - 1)

R = TypeVar("R", bound=Resource)


class PersistenceError(Exception):
    """The store cannot be opened or used; the message is one line for the user."""


# -- schema -----------------------------------------------------------------------------

metadata = sa.MetaData()

schema_versions = sa.Table(
    "gridware_schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.BigInteger, nullable=False),  # microseconds since the epoch
)

resources = sa.Table(
    "gridware_resources",
    metadata,
    sa.Column("service", sa.String(255), primary_key=True),
    sa.Column("resource_key", sa.String(255), primary_key=True),
    sa.Column("resource_type", sa.String(255), nullable=False),
    sa.Column("properties", sa.Text, nullable=False),  # <PersistedProperties> XML
    sa.Column("attributes", sa.Text, nullable=False),  # persistent_attributes as JSON
    sa.Column("termination_time", sa.BigInteger, nullable=True),  # microseconds, UTC
    sa.Column("creator", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Index("gridware_resources_deadline", "service", "termination_time"),
)


# The statements of the hot paths, built once (SQLAlchemy caches their compiled form).
_T = resources.c
_THIS = sa.and_(_T.service == sa.bindparam("b_service"), _T.resource_key == sa.bindparam("b_key"))
_INSERT = resources.insert()
_UPDATE = (
    resources.update()
    .where(_THIS)
    .values(
        properties=sa.bindparam("properties"),
        attributes=sa.bindparam("attributes"),
        termination_time=sa.bindparam("termination_time"),
        creator=sa.bindparam("creator"),
        updated_at=sa.bindparam("updated_at"),
    )
)
_REPLACE = _UPDATE.values(resource_type=sa.bindparam("resource_type"))
_SELECT = sa.select(_T.properties, _T.attributes, _T.termination_time, _T.creator).where(_THIS)
_DELETE = resources.delete().where(_THIS)
_KEYS = sa.select(_T.resource_key).where(_T.service == sa.bindparam("b_service"))
_COUNT = (
    sa.select(sa.func.count()).select_from(resources).where(_T.service == sa.bindparam("b_service"))
)
_DEADLINES = sa.select(_T.resource_key, _T.termination_time).where(
    _T.service == sa.bindparam("b_service"), _T.termination_time.is_not(None)
)


def _v1(conn: Connection) -> None:
    # Version 1 is the first schema.  When a later migration changes the table,
    # freeze this one to the DDL of version 1 instead of the current Table.
    resources.create(conn)


@dataclass(frozen=True)
class Migration:
    """Upgrades a database from ``version - 1`` to ``version``, inside one transaction."""

    version: int
    description: str
    apply: Callable[[Connection], None]


#: The migrations, in order; the last one's version is :data:`SCHEMA_VERSION`.
MIGRATIONS: list[Migration] = [
    Migration(1, "resources: properties, attributes, termination time, creator", _v1),
]


# -- values ---------------------------------------------------------------------------------


def _micros(when: datetime | None) -> int | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MICROSECOND


def _datetime(micros: int | None) -> datetime | None:
    if micros is None:
        return None
    return _EPOCH + timedelta(microseconds=micros)


def _now_micros() -> int:
    return _micros(datetime.now(UTC)) or 0


@dataclass(frozen=True, slots=True)
class _State:
    """What a resource's row holds, as written (compared to skip unchanged saves)."""

    properties: str
    attributes: str
    termination_time: int | None
    creator: str | None


def _stored_properties(cls: type[Resource]) -> list[ResourceProperty]:
    return [p for p in cls.properties.values() if p.getter is None]


def encode(resource: Resource) -> _State:
    """The stored state of a resource (raises :class:`PersistenceError` if it cannot be)."""
    cls = type(resource)
    root = etree.Element(_STATE_TAG)
    empty = []
    for prop in _stored_properties(cls):
        try:
            elements = prop.elements(resource)
        except SimpleTypeError as exc:
            raise PersistenceError(
                f"{cls.__name__} {resource.key}: property {prop.name} cannot be stored: {exc}"
            ) from None
        if elements:
            root.extend(elements)
        else:
            empty.append(prop.tag)
    if empty:
        root.set(_EMPTY_ATTR, " ".join(empty))
    attrs: dict[str, Any] = {}
    for name in cls.persistent_attributes:
        try:
            attrs[name] = getattr(resource, name)
        except AttributeError:
            continue  # never set: it keeps its class-level value when restored
    try:
        attributes = json.dumps(attrs, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise PersistenceError(
            f"{cls.__name__}.persistent_attributes must hold JSON values "
            f"(str, int, float, bool, None, lists, dicts): {exc}"
        ) from None
    return _State(
        etree.tostring(root, encoding="unicode"),
        attributes,
        _micros(resource.termination_time),
        resource.creator,
    )


def decode(cls: type[R], key: str | None, state: _State) -> R:
    """Rebuild a resource from its stored state (without calling ``cls.__init__``)."""
    resource = cls.__new__(cls)
    Resource.__init__(resource, key)
    resource.creator = state.creator
    resource.termination_time = _datetime(state.termination_time)
    try:
        root = parse_xml(state.properties.encode(), _STATE_LIMITS)
    except XMLError as exc:
        raise PersistenceError(
            f"stored properties of {cls.__name__} {key} are corrupt: {exc}"
        ) from None
    found: dict[str, list[Any]] = {tag: [] for tag in (root.get(_EMPTY_ATTR) or "").split()}
    for child in root.iterchildren(etree.Element):
        found.setdefault(child.tag, []).append(child)
    for prop in _stored_properties(cls):
        elements = found.get(prop.tag)
        if elements is None:
            continue  # a property added since the resource was stored: its default
        try:
            values = [prop.from_element(el) for el in elements]
        except SimpleTypeError as exc:
            log.error(
                "stored value of %s in %s %s no longer fits its type, using the default: %s",
                prop.name,
                cls.__name__,
                key,
                exc,
            )
            continue
        # Straight into the resource, past the property's __set__: the values are
        # valid, and restoring state is no change to tell the property's observers.
        if prop.many:
            resource.__dict__[prop._slot] = [v for v in values if v is not None]
        else:
            resource.__dict__[prop._slot] = values[0] if values else None
    try:
        attrs = json.loads(state.attributes)
    except ValueError:
        raise PersistenceError(f"stored attributes of {cls.__name__} {key} are corrupt") from None
    for name in cls.persistent_attributes:
        if name in attrs:
            setattr(resource, name, attrs[name])
    resource.restored()
    return resource


# -- the store --------------------------------------------------------------------------------


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/gridware``, else ``~/.local/state/gridware``."""
    base = os.environ.get("XDG_STATE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "gridware"
    return Path.home() / ".local" / "state" / "gridware"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    for line in str(orig).splitlines():
        line = line.strip()
        if line:
            return line.rstrip(".")
    return type(orig).__name__


def _database_url(database: str) -> URL:
    try:
        url = make_url(database)
    except sa.exc.ArgumentError:
        raise PersistenceError(
            f"{database!r} is not a database URL (use postgresql://USER@HOST:PORT/DB "
            "or sqlite:///PATH)"
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return url.set(drivername="sqlite+pysqlite")
    raise PersistenceError(
        f"unsupported database {url.render_as_string(hide_password=True)}: "
        "use postgresql://USER@HOST:PORT/DB (psycopg) or sqlite:///PATH"
    )


def _display(url: URL) -> str:
    """The URL as a user writes it: no password, no driver, a SQLite file as its path."""
    if url.get_backend_name() == "sqlite":
        return str(url.database or ":memory:")
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _advisory_key(service: str) -> int:
    digest = hashlib.sha256(f"gridware-service:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ResourceStore:
    """One database holding the resources of the persistent services of a container."""

    def __init__(self, engine: Engine, *, lock_file: int | None = None) -> None:
        self.engine = engine
        self.url = _display(engine.url)
        self.postgresql = engine.dialect.name == "postgresql"
        self._lock_fd = lock_file
        self._lock = threading.RLock()
        self._owner: Connection | None = None  # holds the PostgreSQL advisory locks
        self._conn: Connection | None = None  # the connection of every transaction
        self._last_used = time.monotonic()
        #: seconds of idleness after which a PostgreSQL connection is checked before use
        self.ping_after = 10.0
        self.homes: dict[str, PersistentResourceHome[Any]] = {}
        self.applied: list[Migration] = []  # the migrations opening the store applied
        self.closed = False

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        database: str | None = None,
        *,
        state_dir: str | os.PathLike[str] | None = None,
        synchronous: str = "full",
    ) -> ResourceStore:
        """Open (creating or upgrading) the store.

        ``database`` is a ``postgresql://`` or ``sqlite:///`` URL; without one the
        store is the SQLite file ``resources.sqlite3`` in ``state_dir`` (default
        :func:`default_state_dir`), created with mode 0700.  ``synchronous`` is
        SQLite's: ``"full"`` makes every commit durable on disk before it returns;
        ``"normal"`` survives a crash or ``kill -9`` of the container but may lose
        the last commits if the machine loses power.  Raises :class:`PersistenceError`.
        """
        if synchronous not in ("full", "normal"):
            raise PersistenceError(f'synchronous must be "full" or "normal", not {synchronous!r}')
        if database is None:
            directory = Path(state_dir) if state_dir is not None else default_state_dir()
            path = _prepare_state_dir(directory) / SQLITE_FILE
            url = URL.create("sqlite+pysqlite", database=str(path))
        else:
            url = _database_url(database)
        shown = _display(url)
        lock_fd = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            lock_fd = _lock_sqlite(Path(str(url.database)))
        try:
            engine = _engine(url, synchronous)
        except (ImportError, sa.exc.NoSuchModuleError):
            if lock_fd is not None:
                os.close(lock_fd)
            raise PersistenceError(
                f"the database {shown} needs a driver: pip install 'gridware[postgresql]' (psycopg)"
            ) from None
        try:
            store = cls(engine, lock_file=lock_fd)
            store._migrate()
        except BaseException as exc:
            engine.dispose()
            if lock_fd is not None:
                os.close(lock_fd)
            if not isinstance(exc, sa.exc.SQLAlchemyError):
                raise
            reason = _first_line(exc)
            if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
                raise PersistenceError(f"cannot use the database {shown}: {reason}") from None
            raise PersistenceError(f"database {shown}: {reason}") from None
        return store

    def _migrate(self) -> None:
        with self._lock, self.engine.begin() as conn:
            if self.postgresql:  # one migrating container at a time
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_advisory_key("schema"))))
            inspector = sa.inspect(conn)
            if inspector.has_table(schema_versions.name):
                current = conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar()
                current = int(current or 0)
            elif inspector.has_table(resources.name):
                raise PersistenceError(
                    f"database {self.url} has a {resources.name} table but no schema version: "
                    "it was not written by gridware"
                )
            else:
                schema_versions.create(conn)
                current = 0
            if current > SCHEMA_VERSION:
                raise PersistenceError(
                    f"database {self.url} has schema version {current}, newer than this "
                    f"gridware supports ({SCHEMA_VERSION}): upgrade gridware"
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                migration.apply(conn)
                conn.execute(
                    schema_versions.insert().values(
                        version=migration.version,
                        description=migration.description[:200],
                        applied_at=_now_micros(),
                    )
                )
                self.applied.append(migration)
                current = migration.version

    def schema_version(self) -> int:
        with self._lock, self.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar()
            return int(found or 0)

    def report(self) -> None:
        """Log what opening the store did: migrations applied, resources recovered per home."""
        for migration in self.applied:
            event(
                log,
                "gridware.persistence.migrate",
                database=self.url,
                version=migration.version,
                description=migration.description,
            )
        event(
            log,
            "gridware.persistence.open",
            database=self.url,
            schema_version=self.schema_version(),
        )
        for name, home in self.homes.items():
            resources_n, scheduled = home.recovered
            event(
                log,
                "gridware.persistence.recover",
                service=name,
                resources=resources_n,
                scheduled=scheduled,
            )

    # -- homes ------------------------------------------------------------------------------
    def home(
        self, service: str, resource_class: type[R], *, singleton: bool = False
    ) -> PersistentResourceHome[R]:
        """The persistent home of ``service``'s resources (one per service and store)."""
        if self.closed:
            raise PersistenceError(f"the store {self.url} is closed")
        if service in self.homes:
            raise ValueError(f"service {service!r} already has a home in {self.url}")
        if not service or len(service) > 255:
            raise ValueError(f"service name {service!r} must have 1 to 255 characters")
        self._claim(service)
        home: PersistentResourceHome[R]
        if singleton:
            home = PersistentSingletonHome(self, service, resource_class)
        else:
            home = PersistentResourceHome(self, service, resource_class)
        self.homes[service] = home
        return home

    def _claim(self, service: str) -> None:
        """PostgreSQL: hold an advisory lock on the service's rows for the store's life."""
        if not self.postgresql:
            return  # the SQLite file is locked as a whole
        with self._lock:
            try:
                if self._owner is None:
                    self._owner = self.engine.connect()
                got = self._owner.execute(
                    sa.select(sa.func.pg_try_advisory_lock(_advisory_key(service)))
                ).scalar()
                self._owner.commit()
            except sa.exc.SQLAlchemyError as exc:
                raise PersistenceError(f"database {self.url}: {_first_line(exc)}") from None
        if not got:
            raise PersistenceError(
                f"service {service} in database {self.url} is in use by another container"
            )

    # -- rows -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction, committed on success (serialized per store).

        One connection serves every transaction.  A PostgreSQL connection idle
        for ``ping_after`` seconds is checked first, so that a database restarted
        meanwhile costs no request; a connection dropped during a transaction
        fails that transaction and is replaced on the next one.
        """
        with self._lock:
            if self.closed:
                raise PersistenceError(f"the store {self.url} is closed")
            conn = self._connection()
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                if conn.invalidated:
                    self._drop()
                raise
            finally:
                self._last_used = time.monotonic()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._conn.close()
        self._conn = None

    def _connection(self) -> Connection:
        conn = self._conn
        if conn is not None and (conn.closed or conn.invalidated):
            self._drop()
            conn = None
        if (
            conn is not None
            and self.postgresql
            and time.monotonic() - self._last_used >= self.ping_after
        ):
            try:
                conn.exec_driver_sql("SELECT 1")
                conn.rollback()
            except sa.exc.DBAPIError:
                self._drop()
                conn = None
        if conn is None:
            conn = self._conn = self.engine.connect()
        return conn

    def close(self) -> None:
        """Release the database and its locks (the homes can no longer be used)."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            for conn in (self._conn, self._owner):
                if conn is not None:
                    with contextlib.suppress(sa.exc.SQLAlchemyError):
                        conn.close()
            self._conn = self._owner = None
            self.engine.dispose()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _prepare_state_dir(directory: Path) -> Path:
    directory = directory.expanduser()
    try:
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise PersistenceError(f"state directory {directory} is not a directory") from None
    except OSError as exc:
        raise PersistenceError(
            f"cannot create state directory {directory}: {exc.strerror}"
        ) from None
    if not directory.is_dir():
        raise PersistenceError(f"state directory {directory} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PersistenceError(f"state directory {directory} is not writable")
    return directory


def _lock_sqlite(path: Path) -> int:
    """Lock ``path``'s lock file for this process; refuses a database in use."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise PersistenceError(f"cannot open the lock file {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise PersistenceError(
                f"database {path} is in use by another container{who}: "
                "give each container its own --state-dir"
            ) from None
        raise PersistenceError(f"cannot lock {lock_path}: {exc.strerror}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _engine(url: URL, synchronous: str) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself, so that DDL is transactional too.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return sa.create_engine(url, connect_args={"connect_timeout": 10}, pool_pre_ping=True)


# -- homes ------------------------------------------------------------------------------------


class PersistentResourceHome(ResourceHome[R], Generic[R]):
    """A resource home whose resources live in a :class:`ResourceStore`.

    Resources are loaded on first use and cached; every change is written in a
    transaction before the call returns.  Termination times are recovered when
    the home opens (see :meth:`expired`).
    """

    def __init__(self, store: ResourceStore, service: str, resource_class: type[R]) -> None:
        super().__init__(resource_class)
        self.store = store
        self.service = service
        self.resource_type = f"{resource_class.__module__}.{resource_class.__qualname__}"
        self._cache: dict[str, R] = {}
        self._stored: dict[str, _State] = {}
        self._deadlines: list[tuple[datetime, str]] = []
        self._lock = threading.RLock()
        self._recover()

    def _recover(self) -> None:
        with self.store.transaction() as conn:
            count = conn.execute(_COUNT, {"b_service": self.service}).scalar()
            rows = conn.execute(_DEADLINES, {"b_service": self.service}).all()
        for key, micros in rows:
            when = _datetime(micros)
            assert when is not None
            self._deadlines.append((when, key))
        heapq.heapify(self._deadlines)
        #: resources found and termination times rescheduled when the home opened
        self.recovered = (int(count or 0), len(rows))

    # -- ResourceHome ---------------------------------------------------------------------
    def _row_key(self, key: str | None) -> str | None:
        return key

    def add(self, resource: R) -> None:
        key = self._row_key(resource.key)
        if key is None:
            raise ValueError(f"a resource of {self.service} needs a key")
        state = encode(resource)
        now = _now_micros()
        values = {
            "resource_type": self.resource_type,
            "properties": state.properties,
            "attributes": state.attributes,
            "termination_time": state.termination_time,
            "creator": state.creator,
            "updated_at": now,
        }
        with self._lock:
            try:
                with self.store.transaction() as conn:
                    conn.execute(
                        _INSERT,
                        {"service": self.service, "resource_key": key, "created_at": now, **values},
                    )
            except sa.exc.IntegrityError:  # the key exists: replace that resource
                with self.store.transaction() as conn:
                    conn.execute(_REPLACE, {"b_service": self.service, "b_key": key, **values})
            self._cache[key] = resource
            self._stored[key] = state
            if resource.termination_time is not None:
                heapq.heappush(self._deadlines, (resource.termination_time, key))

    def get(self, key: str | None) -> R | None:
        row_key = self._row_key(key)
        if row_key is None:
            return None
        found = self._cache.get(row_key)
        if found is not None:
            return found
        with self._lock:
            found = self._cache.get(row_key)
            if found is None:
                found = self._load(row_key)
            return found

    def _load(self, key: str) -> R | None:
        with self.store.transaction() as conn:
            row = conn.execute(_SELECT, {"b_service": self.service, "b_key": key}).first()
        if row is None:
            return None
        state = _State(row.properties, row.attributes, row.termination_time, row.creator)
        resource = decode(self.resource_class, None if key == _SINGLETON_KEY else key, state)
        self._cache[key] = resource
        self._stored[key] = state
        return resource

    def remove(self, key: str | None) -> R:
        row_key = self._row_key(key)
        with self._lock:
            resource = self.get(key) if row_key is not None else None
            if resource is None or row_key is None:
                raise ResourceUnknownFault(f"no resource with key {key!r}: unknown or destroyed")
            with self.store.transaction() as conn:
                conn.execute(_DELETE, {"b_service": self.service, "b_key": row_key})
            self._cache.pop(row_key, None)
            self._stored.pop(row_key, None)
        return resource

    def keys(self) -> Iterator[str | None]:
        with self.store.transaction() as conn:
            found = conn.execute(_KEYS, {"b_service": self.service}).scalars()
            return iter(list(found))

    def __len__(self) -> int:
        with self.store.transaction() as conn:
            n = conn.execute(_COUNT, {"b_service": self.service}).scalar()
        return int(n or 0)

    def save(self, resource: R) -> None:
        """Write the resource's state if it changed since it was last written.

        If the write fails the resource is dropped from the cache, so that the
        next lookup sees what the database holds, and the error propagates.
        """
        key = self._row_key(resource.key)
        if key is None:
            return
        state = encode(resource)
        with self._lock:
            if self._cache.get(key) is not resource:
                return  # removed (or replaced) meanwhile: nothing of it to write
            previous = self._stored.get(key)
            if previous == state:
                return
            try:
                with self.store.transaction() as conn:
                    conn.execute(
                        _UPDATE,
                        {
                            "b_service": self.service,
                            "b_key": key,
                            "properties": state.properties,
                            "attributes": state.attributes,
                            "termination_time": state.termination_time,
                            "creator": state.creator,
                            "updated_at": _now_micros(),
                        },
                    )
            except BaseException:
                self._cache.pop(key, None)
                self._stored.pop(key, None)
                raise
            self._stored[key] = state
            if resource.termination_time is not None and (
                previous is None or previous.termination_time != state.termination_time
            ):
                heapq.heappush(self._deadlines, (resource.termination_time, key))

    def set_termination_time(self, resource: R, when: datetime | None) -> None:
        resource.termination_time = when
        self.save(resource)

    def expired(self, now: datetime) -> list[str | None]:
        out: list[str | None] = []
        with self._lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                out.append(heapq.heappop(self._deadlines)[1])
        return out

    # -- cache ------------------------------------------------------------------------------
    def evict(self, key: str | None = None) -> None:
        """Forget cached resources (all, or one); the next lookup reads the database.

        Only for resources no request is using: a request in progress keeps
        its object, whose later changes are then not written.
        """
        with self._lock:
            if key is None:
                self._cache.clear()
                self._stored.clear()
            else:
                row_key = self._row_key(key)
                if row_key is not None:
                    self._cache.pop(row_key, None)
                    self._stored.pop(row_key, None)

    @property
    def cached(self) -> int:
        """How many resources are loaded."""
        return len(self._cache)


class PersistentSingletonHome(PersistentResourceHome[R]):
    """The persistent home of a singleton service: one resource, stored under key ``""``."""

    def __init__(self, store: ResourceStore, service: str, resource_class: type[R]) -> None:
        super().__init__(store, service, resource_class)
        if self.get(None) is None:
            self.add(resource_class(None))

    def _row_key(self, key: str | None) -> str | None:
        return _SINGLETON_KEY

    def remove(self, key: str | None) -> R:
        raise ResourceNotDestroyedFault("a singleton resource cannot be destroyed")

    def keys(self) -> Iterator[str | None]:
        return iter([None])

    def __len__(self) -> int:
        return 1

    def expired(self, now: datetime) -> list[str | None]:
        return []


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "PersistenceError",
    "PersistentResourceHome",
    "PersistentSingletonHome",
    "ResourceStore",
    "decode",
    "default_state_dir",
    "encode",
]
