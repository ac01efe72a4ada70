"""``gridware index``: ask and feed a container's default index (or any ServiceGroup).

::

    gridware index query [--url INDEX_URL] XPATH [-n PREFIX=URI ...] [-t]
    gridware index list [--url INDEX_URL]
    gridware index add [--url INDEX_URL] (-e MEMBER_EPR | -m MEMBER_URL [-k QNAME VALUE])
                       [--interval S] [--property QNAME ...] [--query XPATH]
                       [--content FILE] [--lifetime S] [-o ENTRY_EPR_OUT]
    gridware index remove -e ENTRY_EPR

The index is ``http://127.0.0.1:8080/wsrf/services/DefaultIndexService`` unless
``--url`` (or ``$GRIDWARE_INDEX_URL``) says otherwise.  Queries have the prefixes
``wssg`` (WS-ServiceGroup), ``agg`` (aggregator content), ``gwi`` (gridware
index) and ``wsa`` bound::

    gridware index query '//gwi:Service/gwi:Name' -t          # which services run here
    gridware index query -n c=http://gridware.org/samples/counter \\
        '//wssg:Entry[wssg:Content/agg:AggregatorData/c:CounterResourceProperties/c:Value > 10]'
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from lxml import etree

from gridware.clients.servicegroup import DEFAULT_INDEX_URL

Command = Callable[[argparse.Namespace], int]


def _cli() -> Any:
    from gridware.clients import cli

    return cli


def _client(args: argparse.Namespace) -> Any:
    from gridware.clients.servicegroup import IndexClient

    cli = _cli()
    return IndexClient(
        args.url,
        dialect=args.dialect,
        soap=args.soap,
        transport=cli._transport(args, args.url),
    )


def cmd_query(args: argparse.Namespace) -> int:
    cli = _cli()
    result = _client(args).query(args.xpath, cli._namespaces(args.namespace))
    if isinstance(result, str):
        print(result)
    else:
        cli._print_elements(result, args.text)
    return 0


def _describe(entry: Any) -> str:
    """One line for ``gridware index list``."""
    from gridware.container.index import AGG, GWI

    member = entry.member
    where = member.address if member is not None else "(no member EPR)"
    keys = " ".join(
        f"{etree.QName(el).localname}={(el.text or '').strip()}"
        for el in (member.reference_elements if member is not None else ())
    )
    what = []
    content = entry.content
    if content is not None:
        config = content.find(f"{{{AGG}}}AggregatorConfig")
        polls = [c for c in config if isinstance(c.tag, str)] if config is not None else []
        for info in content.iter(f"{{{GWI}}}Service"):
            name = info.findtext(f"{{{GWI}}}Name", "")
            dialect = info.findtext(f"{{{GWI}}}Dialect", "")
            count = info.findtext(f"{{{GWI}}}Resources")
            extra = f", {count} resources" if count is not None else ""
            what.append(f"service {name} ({dialect}{extra})")
        if not what:
            docs = [etree.QName(c).localname for c in entry.data()]
            if docs:
                what.append(", ".join(docs))
        for poll in polls:
            if poll.tag == f"{{{GWI}}}ContainerRegistration":
                continue
            millis = poll.findtext(f"{{{AGG}}}PollIntervalMillis", "")
            kind = etree.QName(poll).localname.removesuffix("PollType")
            every = f" every {int(millis) / 1000:g} s" if millis.strip().isdigit() else ""
            what.append(f"polls {kind}{every}")
        status = content.find(f"{{{GWI}}}Status")
        if status is not None:
            state = status.get("reachable", "unknown")
            text = {"true": "reachable", "false": "UNREACHABLE"}.get(state, "not polled yet")
            if status.text:
                text += f": {status.text.strip()}"
            what.append(text)
    return "  ".join(x for x in (where, keys, "; ".join(what)) if x)


def cmd_list(args: argparse.Namespace) -> int:
    entries = _client(args).entries()
    for entry in entries:
        print(_describe(entry))
    print(f"{len(entries)} entries", file=sys.stderr)
    return 0


def _member(args: argparse.Namespace) -> Any:
    from gridware.clients.wsrf import resource_epr
    from gridware.container.addressing import EndpointReference

    cli = _cli()
    if bool(args.member_epr) == bool(args.member_url):
        raise cli.UsageError("name the member with -e MEMBER_EPR or -m MEMBER_URL")
    if args.member_epr:
        if args.key:
            raise cli.UsageError("-k goes with -m; an EPR file already holds the key")
        return EndpointReference.read(args.member_epr)
    key = None
    if args.key:
        key = (cli._qname(args.key[0], cli._namespaces(args.namespace)), args.key[1])
        if not key[0].startswith("{"):
            raise cli.UsageError(
                "the key QName needs a namespace: {namespace}Name or -n p=URI p:Name"
            )
    return resource_epr(args.member_url, key, args.member_dialect)


def cmd_add(args: argparse.Namespace) -> int:
    from gridware.container.xml import XMLError, parse_xml

    cli = _cli()
    member = _member(args)
    client = _client(args)
    lifetime = timedelta(seconds=args.lifetime) if args.lifetime is not None else None
    if args.lifetime is not None and args.lifetime <= 0:
        raise cli.UsageError("--lifetime must be a positive number of seconds")
    if args.content:
        if args.property or args.query or args.interval is not None:
            raise cli.UsageError("--content replaces --interval, --property and --query")
        try:
            with open(args.content, "rb") as f:
                content = parse_xml(f.read())
        except XMLError as exc:
            raise ValueError(f"{args.content}: {exc}") from None
        added = client.add(member, content, termination=lifetime)
    else:
        if args.interval is not None and args.interval <= 0:
            raise cli.UsageError("--interval must be a positive number of seconds")
        nsmap = cli._namespaces(args.namespace)
        props = [cli._qname(q, nsmap) for q in args.property or []]
        if any(not p.startswith("{") for p in props):
            raise cli.UsageError("--property needs {namespace}Name or -n p=URI with p:Name")
        added = client.register(
            member,
            interval=args.interval if args.interval is not None else 60.0,
            properties=props,
            query=args.query,
            namespaces=nsmap,
            termination=lifetime,
        )
    if args.entry_out:
        added.entry.write(args.entry_out)
        print(f"added; entry endpoint reference written to {args.entry_out}", file=sys.stderr)
    else:
        sys.stdout.write(added.entry.to_xml().decode())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from gridware.clients.wsrf import WsrfClient
    from gridware.container.addressing import EndpointReference

    cli = _cli()
    entry = EndpointReference.read(args.entry)
    WsrfClient(entry, soap=args.soap, transport=cli._transport(args, entry.address)).destroy()
    print("entry removed", file=sys.stderr)
    return 0


def add_commands(sub: Any) -> None:
    """Add ``gridware index ...`` to the ``gridware`` command's subparsers."""
    cli = _cli()
    index = sub.add_parser(
        "index",
        help="query or feed a container's default index (a ServiceGroup)",
        description="Ask a container's default index (DefaultIndexService) with XPath, list "
        "its entries, add members to it (or to any WS-ServiceGroup) and remove them.",
    )
    isub = index.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-s",
            "--url",
            "--service",
            dest="url",
            metavar="INDEX_URL",
            default=os.environ.get("GRIDWARE_INDEX_URL", DEFAULT_INDEX_URL),
            help="the index or ServiceGroup (default: $GRIDWARE_INDEX_URL or %(default)s)",
        )
        p.add_argument(
            "--dialect",
            choices=["wsrf-1.2", "gt4"],
            default=None,
            help="WS-RF dialect set of the index (default wsrf-1.2)",
        )
        p.add_argument("--soap", choices=["1.1", "1.2"], default="1.1")
        p.add_argument("--timeout", type=float, default=60.0, metavar="S")
        p.add_argument(
            "-n",
            "--namespace",
            action="append",
            metavar="PREFIX=URI",
            help="namespace prefix for the XPath or QNames (wssg, agg, gwi, wsa are bound)",
        )
        cli._add_security(p)

    q = isub.add_parser(
        "query",
        help="evaluate XPath on the index's property document",
        description="QueryResourceProperties with an XPath 1.0 expression on the index.",
    )
    common(q)
    q.add_argument("xpath", metavar="XPATH")
    q.add_argument("-t", "--text", action="store_true", help="print values, not XML")
    q.set_defaults(func=cmd_query)

    lst = isub.add_parser(
        "list", help="list the entries", description="One line per entry of the index."
    )
    common(lst)
    lst.set_defaults(func=cmd_list)

    a = isub.add_parser(
        "add",
        help="register a member (polled for its resource properties)",
        description="Add a member to the index: the index polls its resource property "
        "document (or --property names, or a --query) every --interval seconds.  With "
        "--content FILE the Content element is sent as it is (any ServiceGroup).",
    )
    common(a)
    a.add_argument("-e", "--epr", dest="member_epr", metavar="MEMBER_EPR", help="member EPR file")
    a.add_argument("-m", "--member", dest="member_url", metavar="URL", help="member service URL")
    a.add_argument("-k", "--key", nargs=2, metavar=("QNAME", "VALUE"), help="member resource key")
    a.add_argument(
        "--member-dialect",
        choices=["wsrf-1.2", "gt4"],
        default="wsrf-1.2",
        help="dialect set of a member given by -m (default wsrf-1.2)",
    )
    a.add_argument("--interval", type=float, metavar="S", help="poll interval (default 60)")
    a.add_argument(
        "--property", action="append", metavar="QNAME", help="poll these properties only"
    )
    a.add_argument("--query", metavar="XPATH", help="poll the result of this XPath query")
    a.add_argument("--content", metavar="FILE", help="send this Content element instead")
    a.add_argument("--lifetime", type=float, metavar="S", help="entry lifetime in seconds")
    a.add_argument(
        "-o", "--out", dest="entry_out", metavar="ENTRY_EPR", help="write the entry's EPR here"
    )
    a.set_defaults(func=cmd_add)

    r = isub.add_parser(
        "remove",
        help="remove an entry (destroy it)",
        description="Destroy an entry of the index, given the EPR that 'add' returned.",
    )
    r.add_argument("-e", "--epr", dest="entry", required=True, metavar="ENTRY_EPR")
    r.add_argument("--soap", choices=["1.1", "1.2"], default="1.1")
    r.add_argument("--timeout", type=float, default=60.0, metavar="S")
    cli._add_security(r)
    r.set_defaults(func=cmd_remove)


__all__ = ["add_commands"]
