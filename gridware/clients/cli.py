"""The ``gridware`` command line.

::

    gridware container [--demo] [--config FILE] [--host H] [--port N] [--state-dir DIR]
                       [--database URL]
    gridware counter create --url SERVICE_URL [-e EPR_OUT]
    gridware counter add -e EPR N
    gridware wsrf get-property -e EPR QNAME
    gridware wsrf get-properties -e EPR QNAME [QNAME ...]
    gridware wsrf get-document -e EPR
    gridware wsrf query -e EPR XPATH [-n PREFIX=URI ...]
    gridware wsrf update-property|insert-property -e EPR QNAME VALUE [VALUE ...]
    gridware wsrf delete-property -e EPR QNAME
    gridware wsrf set-termination-time -e EPR (SECONDS | DATETIME | infinity)
    gridware wsrf destroy -e EPR
    gridware delegate --url DELEGATION_SERVICE_URL [-e EPR_OUT] [--lifetime H:M]

For https:// services the client presents the user's proxy (``--proxy FILE``,
default as Globus finds it; ``--anonymous`` for none), trusts the CAs in
``--cert-dir`` (default ``$X509_CERT_DIR`` and the Globus locations), and
checks the service's host name, or its subject when ``--identity DN`` is given.

Instead of ``-e EPR`` a resource can be named by ``--url SERVICE_URL`` plus
``-k KEY_QNAME KEY_VALUE``.  A QNAME is ``{namespace}Local``, ``prefix:Local``
with ``-n prefix=namespace``, or a bare ``Local`` looked up in the resource's
property document.  Errors print one line and exit with status 1 (2 for usage).
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, NoReturn

from lxml import etree

from gridware import __version__
from gridware.clients import index_cli, security_cli, wsn_cli

EXIT_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A wrong command line: printed as one line, exit status 2."""


# -- helpers ------------------------------------------------------------------------------


def _namespaces(pairs: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        prefix, sep, uri = pair.partition("=")
        if not sep or not prefix or not uri:
            raise UsageError(f"-n {pair!r}: write -n prefix=namespace-uri")
        out[prefix] = uri
    return out


def _qname(text: str, namespaces: dict[str, str]) -> str:
    """``{ns}x`` / ``p:x`` (with -n p=ns) / ``x`` (resolved later by the client)."""
    if text.startswith("{"):
        if "}" not in text or text.endswith("}"):
            raise UsageError(f"{text!r} is not a QName: write {{namespace}}LocalName")
        return text
    prefix, sep, local = text.partition(":")
    if sep:
        if prefix not in namespaces:
            raise UsageError(f"unknown prefix {prefix!r} in {text!r}: add -n {prefix}=NAMESPACE")
        return f"{{{namespaces[prefix]}}}{local}"
    return text


def _add_target(p: argparse.ArgumentParser, *, epr_required: bool = False) -> None:
    g = p.add_argument_group("target resource")
    g.add_argument("-e", "--epr", metavar="FILE", help="endpoint reference file of the resource")
    g.add_argument("-s", "--url", "--service", dest="url", metavar="URL", help="service URL")
    g.add_argument(
        "-k",
        "--key",
        nargs=2,
        metavar=("QNAME", "VALUE"),
        help="resource key reference property, e.g. -k '{http://ns}CounterKey' 1234",
    )
    g.add_argument(
        "--dialect", choices=["wsrf-1.2", "gt4"], help="WS-RF dialect set (default: from the EPR)"
    )
    g.add_argument(
        "--soap", choices=["1.1", "1.2"], default="1.1", help="SOAP version (default 1.1)"
    )
    g.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="seconds to wait for a reply"
    )
    g.add_argument(
        "-n",
        "--namespace",
        action="append",
        metavar="PREFIX=URI",
        help="namespace prefix for QNames",
    )
    _add_security(p)


def _add_security(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("security (https:// services)")
    g.add_argument(
        "--proxy",
        metavar="FILE",
        help="proxy credential to present (default: $X509_USER_PROXY or /tmp/x509up_u<uid>)",
    )
    g.add_argument(
        "--anonymous", action="store_true", help="present no credential (TLS server auth only)"
    )
    g.add_argument(
        "--cert-dir",
        metavar="DIR",
        help="trusted CA certificates (default: $X509_CERT_DIR, ~/.globus/certificates, "
        "/etc/grid-security/certificates)",
    )
    g.add_argument(
        "--identity",
        metavar="DN",
        help="expected subject DN of the service (instead of matching the host name)",
    )
    g.add_argument(
        "--message",
        choices=["none", "signature", "encryption"],
        default="none",
        help="WS-Security: sign requests (and encrypt their bodies); replies must match",
    )
    g.add_argument(
        "--server-cert",
        metavar="FILE",
        help="the service's certificate (PEM), needed to encrypt requests",
    )


def _transport(args: argparse.Namespace, address: str) -> Any:
    """A plain transport for http:// (unless --message), a GSI one for https://."""
    from gridware.container.client import HttpTransport

    if not address.lower().startswith("https:") and args.message == "none":
        return HttpTransport(args.timeout)
    from gridware.container.security import secure_transport

    return secure_transport(
        args.proxy,
        cert_dir=args.cert_dir,
        identity=args.identity,
        anonymous=args.anonymous,
        message=args.message,
        server_certificate=args.server_cert,
        timeout=args.timeout,
    )


def _target(args: argparse.Namespace) -> Any:
    from gridware.clients.wsrf import resource_epr
    from gridware.container.addressing import EndpointReference

    if args.epr and args.url:
        raise UsageError("give either -e EPR_FILE or --url SERVICE_URL, not both")
    if args.epr:
        if args.key:
            raise UsageError("-k goes with --url; an EPR file already holds the key")
        return EndpointReference.read(args.epr)
    if args.url:
        key = None
        if args.key:
            key = (_qname(args.key[0], _namespaces(args.namespace)), args.key[1])
            if not key[0].startswith("{"):
                raise UsageError(
                    "the key QName needs a namespace: {namespace}Name or -n p=... p:Name"
                )
        return resource_epr(args.url, key, args.dialect or "wsrf-1.2")
    raise UsageError("name the resource with -e EPR_FILE or --url SERVICE_URL [-k QNAME VALUE]")


def _wsrf_client(args: argparse.Namespace) -> Any:
    from gridware.clients.wsrf import WsrfClient

    target = _target(args)
    return WsrfClient(
        target, dialect=args.dialect, soap=args.soap, transport=_transport(args, target.address)
    )


def _print_elements(elements: Sequence[Any], text: bool) -> None:
    for el in elements:
        if text:
            print((el.text or "").strip())
        else:
            el = copy.deepcopy(el)  # detached: only the namespaces it uses are printed
            etree.cleanup_namespaces(el)
            print(etree.tostring(el, pretty_print=True, encoding="unicode").rstrip())


# -- container ------------------------------------------------------------------------------


def cmd_container(args: argparse.Namespace) -> int:
    from twisted.internet import reactor
    from twisted.internet.error import CannotListenError

    from gridware.container import log as gwlog
    from gridware.container.config import (
        ConfigError,
        build_services,
        host_security,
        load_config,
        needs_store,
        open_store,
    )
    from gridware.container.hosting import Container
    from gridware.container.persistence import PersistenceError, ResourceStore

    try:
        cfg = load_config(args.config)
        if args.host is not None:
            cfg.host = args.host
        if args.port is not None:
            cfg.port = args.port
        if args.log_level:
            cfg.log_level = args.log_level
        if args.state_dir is not None:
            cfg.state_dir = args.state_dir
        if args.database is not None:
            cfg.database = args.database
        if args.demo:
            cfg.demo = True
        host = host_security(cfg)
        https_port = args.https_port
        if https_port is None and cfg.security is not None:
            https_port = cfg.security.get("https_port")
        if https_port is not None and host is None:
            _fail("HTTPS needs [container.security] with the host certificate and key")
        store: ResourceStore | None = None
        if needs_store(cfg):
            store = open_store(cfg)
        services = build_services(cfg, host, store)
        if cfg.demo:
            from gridware.services.samples import demo_services

            taken = {s.name for s in services}
            services.extend(s for s in demo_services(store) if s.name not in taken)
    except (ConfigError, PersistenceError) as exc:
        _fail(str(exc))
    if not services:
        _fail("no services to deploy: use --demo or a --config file with [[service]] tables")
    gwlog.configure(cfg.log_level.upper())
    container = Container(
        cfg.host,
        cfg.port,
        reactor=reactor,
        security=host,
        https_port=https_port,
        **cfg.container_options(),
    )
    try:
        container.deploy_all(services)  # may open homes (subscriptions of persistent services)
    except (ValueError, FileNotFoundError, PersistenceError) as exc:
        _fail(str(exc))
    try:
        container.start()
    except CannotListenError as exc:
        _fail(f"cannot listen on {cfg.host}:{exc.port}: {exc.socketError}")
    reactor.addSystemEventTrigger("before", "shutdown", container.stop)
    if store is not None:
        reactor.callWhenRunning(store.report)
        reactor.addSystemEventTrigger("after", "shutdown", store.close)
    reactor.run()
    return 0


# -- counter ----------------------------------------------------------------------------------


def cmd_counter_create(args: argparse.Namespace) -> int:
    from gridware.clients.counter import CounterClient

    client = CounterClient(
        args.url, dialect=args.dialect, soap=args.soap, transport=_transport(args, args.url)
    )
    epr = client.create()
    if args.epr_out:
        epr.write(args.epr_out)
        print(f"counter created; endpoint reference written to {args.epr_out}", file=sys.stderr)
    else:
        sys.stdout.write(epr.to_xml().decode())
    return 0


def cmd_counter_add(args: argparse.Namespace) -> int:
    from gridware.clients.counter import CounterClient

    target = _target(args)
    client = CounterClient(
        target, dialect=args.dialect, soap=args.soap, transport=_transport(args, target.address)
    )
    print(client.add(args.value))
    return 0


# -- wsrf --------------------------------------------------------------------------------------


def cmd_get_property(args: argparse.Namespace) -> int:
    client = _wsrf_client(args)
    _print_elements(client.get_property(_qname(args.qname, _namespaces(args.namespace))), args.text)
    return 0


def cmd_get_properties(args: argparse.Namespace) -> int:
    client = _wsrf_client(args)
    nsmap = _namespaces(args.namespace)
    _print_elements(client.get_properties([_qname(q, nsmap) for q in args.qnames]), args.text)
    return 0


def cmd_get_document(args: argparse.Namespace) -> int:
    _print_elements([_wsrf_client(args).document()], False)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    result = _wsrf_client(args).query(args.xpath, _namespaces(args.namespace))
    if isinstance(result, str):
        print(result)
    else:
        _print_elements(result, args.text)
    return 0


def _set(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        client = _wsrf_client(args)
        name = _qname(args.qname, _namespaces(args.namespace))
        if kind == "update":
            client.update_property(name, *args.values)
        elif kind == "insert":
            client.insert_property(name, *args.values)
        else:
            client.delete_property(name)
        return 0

    return run


def cmd_set_termination_time(args: argparse.Namespace) -> int:
    from gridware.codegen.runtime import SimpleTypeError, format_datetime, parse_datetime

    when: Any
    spec = args.when.strip()
    if spec.lower() in ("infinity", "none", "never"):
        when = None
    elif spec.isdigit():
        when = timedelta(seconds=int(spec))
    else:
        try:
            when = parse_datetime(spec)
        except SimpleTypeError as exc:
            raise UsageError(
                f"{spec!r}: give seconds from now, 'infinity' or a dateTime ({exc})"
            ) from None
    new, current = _wsrf_client(args).set_termination_time(when)
    print(f"termination time: {format_datetime(new) if new else 'infinity'}")
    print(f"current time:     {format_datetime(current)}")
    return 0


def cmd_destroy(args: argparse.Namespace) -> int:
    _wsrf_client(args).destroy()
    print("destroyed", file=sys.stderr)
    return 0


# -- delegation ------------------------------------------------------------------------------


def _hours_minutes(text: str) -> timedelta:
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or int(minutes) >= 60:
        raise UsageError(f"--lifetime {text!r}: write hours:minutes, e.g. 12:00")
    value = timedelta(hours=int(hours), minutes=int(minutes))
    if value <= timedelta(0):
        raise UsageError("--lifetime must be positive")
    return value


def cmd_delegate(args: argparse.Namespace) -> int:
    from gridware.clients.delegation import delegate
    from gridware.security import Credential
    from gridware.security.errors import SecurityError

    lifetime = _hours_minutes(args.lifetime)
    transport = _transport(args, args.url)
    try:
        proxy = Credential.load_proxy(args.proxy)
    except (SecurityError, OSError) as exc:
        raise ValueError(f"no usable proxy ({exc}): run 'gridware proxy init'") from None
    epr = delegate(
        args.url,
        proxy,
        lifetime=lifetime,
        limited=args.limited,
        transport=transport,
        cert_dir=args.cert_dir,
        identity=args.identity,
    )
    if args.epr_out:
        epr.write(args.epr_out)
        print(f"delegated; endpoint reference written to {args.epr_out}", file=sys.stderr)
    else:
        sys.stdout.write(epr.to_xml().decode())
    return 0


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridware",
        description="Build, host and call grid services (WS-RF container, clients and tools).",
    )
    parser.add_argument("--version", action="version", version=f"gridware {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and client logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "container", help="run a service container", description="Run a WS-RF container."
    )
    p.add_argument(
        "--demo", action="store_true", help="deploy the demo services (Counter, Version)"
    )
    p.add_argument("--config", metavar="FILE", help="TOML configuration file")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="TCP port (default 8080; 0 picks a free one)")
    p.add_argument(
        "--https-port",
        type=int,
        metavar="N",
        help="also serve HTTPS on this port (needs [container.security]; 0 picks one)",
    )
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level")
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where persistent services keep their SQLite database "
        "(default $XDG_STATE_HOME/gridware or ~/.local/state/gridware)",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="keep persistent resources in this database instead "
        "(postgresql://USER[:PASSWORD]@HOST:PORT/DB)",
    )
    p.set_defaults(func=cmd_container)

    counter = sub.add_parser(
        "counter", help="use the demo CounterService", description="Demo counter client."
    )
    csub = counter.add_subparsers(dest="counter_command", metavar="ACTION")
    csub.required = True
    c = csub.add_parser("create", help="create a counter", description="Create a counter resource.")
    c.add_argument("-s", "--url", "--service", dest="url", required=True, metavar="SERVICE_URL")
    c.add_argument(
        "-e", "--epr", dest="epr_out", metavar="EPR_OUT", help="write the EPR to this file"
    )
    c.add_argument("--dialect", choices=["wsrf-1.2", "gt4"], default="wsrf-1.2")
    c.add_argument("--soap", choices=["1.1", "1.2"], default="1.1")
    c.add_argument("--timeout", type=float, default=60.0)
    _add_security(c)
    c.set_defaults(func=cmd_counter_create)
    a = csub.add_parser(
        "add", help="add to a counter", description="Add N to a counter; prints the value."
    )
    _add_target(a)
    a.add_argument("value", type=int, metavar="N")
    a.set_defaults(func=cmd_counter_add)

    wsrf = sub.add_parser(
        "wsrf",
        help="WS-RF operations on any resource",
        description="WS-ResourceProperties and Lifetime.",
    )
    wsub = wsrf.add_subparsers(dest="wsrf_command", metavar="OPERATION")
    wsub.required = True

    def op(
        name: str, help: str, func: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sp = wsub.add_parser(name, help=help, description=help)
        _add_target(sp)
        sp.set_defaults(func=func)
        return sp

    sp = op("get-property", "print one resource property", cmd_get_property)
    sp.add_argument("qname", metavar="QNAME")
    sp.add_argument("-t", "--text", action="store_true", help="print values, not XML")
    sp = op("get-properties", "print several resource properties", cmd_get_properties)
    sp.add_argument("qnames", nargs="+", metavar="QNAME")
    sp.add_argument("-t", "--text", action="store_true", help="print values, not XML")
    op("get-document", "print the resource property document", cmd_get_document)
    sp = op("query", "evaluate an XPath 1.0 query on the property document", cmd_query)
    sp.add_argument("xpath", metavar="XPATH")
    sp.add_argument("-t", "--text", action="store_true", help="print values, not XML")
    for kind in ("update", "insert"):
        sp = op(f"{kind}-property", f"{kind} values of a resource property", _set(kind))
        sp.add_argument("qname", metavar="QNAME")
        sp.add_argument("values", nargs="+", metavar="VALUE")
    sp = op("delete-property", "delete all values of a resource property", _set("delete"))
    sp.add_argument("qname", metavar="QNAME")
    sp = op(
        "set-termination-time", "schedule the destruction of a resource", cmd_set_termination_time
    )
    sp.add_argument("when", metavar="SECONDS|DATETIME|infinity")
    op("destroy", "destroy a resource now", cmd_destroy)
    d = sub.add_parser(
        "delegate",
        help="delegate your proxy to a container",
        description="Delegate the user's proxy to a container's DelegationService; prints "
        "(or writes) the endpoint reference of the delegated credential.",
    )
    d.add_argument(
        "-s",
        "--url",
        "--service",
        dest="url",
        required=True,
        metavar="URL",
        help="the DelegationService URL, e.g. https://host:8443/wsrf/services/DelegationService",
    )
    d.add_argument("-e", "--epr", dest="epr_out", metavar="EPR_OUT", help="write the EPR here")
    d.add_argument(
        "--lifetime",
        "-valid",
        default="12:00",
        metavar="H:M",
        help="lifetime of the delegated proxy (default 12:00; never beyond yours)",
    )
    d.add_argument("--limited", "-limited", action="store_true", help="delegate a limited proxy")
    d.add_argument("--timeout", type=float, default=60.0, metavar="S")
    _add_security(d)
    d.set_defaults(func=cmd_delegate)

    security_cli.add_commands(sub)
    index_cli.add_commands(sub)
    wsn_cli.add_commands(sub)

    from gridware.codegen import cli as codegen_cli

    gen = sub.add_parser(
        "wsdl2py",
        help="generate typed Python proxies and stubs from a WSDL",
        description="Generate a package (types, faults, client proxies, server stubs) from a WSDL.",
    )
    codegen_cli.add_arguments(gen)
    gen.set_defaults(func=codegen_cli.run)
    return parser


def _fail(message: str, status: int = EXIT_ERROR) -> NoReturn:
    print(f"gridware: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridware`` command."""
    from gridware.codegen.errors import CodegenError
    from gridware.container.addressing import AddressingError
    from gridware.container.client import TransportError
    from gridware.container.faults import Fault
    from gridware.security.errors import SecurityError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        from gridware.container import log as gwlog

        gwlog.configure(logging.DEBUG)
    try:
        result: int = args.func(args)
        return result
    except UsageError as exc:
        if args.debug:
            raise
        parser.exit(EXIT_USAGE, f"gridware: error: {exc}\n")
    except Fault as exc:
        if args.debug:
            raise
        _fail(f"{type(exc).__name__}: {exc.description}")
    except (
        TransportError,
        AddressingError,
        CodegenError,
        SecurityError,
        OSError,
        ValueError,
    ) as exc:
        if args.debug:
            raise
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
