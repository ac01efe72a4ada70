"""``gridware wsn``: subscribe to notification producers and manage subscriptions.

::

    gridware wsn topics -e EPR
    gridware wsn subscribe -e EPR [TOPIC] [--topic-dialect simple|concrete|full] [-n p=URI]
                           [--message-content XPATH] [--producer-properties XPATH]
                           [--termination SECONDS|DATETIME] [--raw] [--batch N]
                           [--count N] [--xml] [--keep] [-o SUBSCRIPTION_EPR]
                           [--listen HOST[:PORT]] [--advertise HOST] [--https]
                           [--require-signature [--producer-identity DN]]
    gridware wsn get-current-message -e EPR TOPIC
    gridware wsn pause|resume|unsubscribe -e SUBSCRIPTION_EPR
    gridware wsn renew -e SUBSCRIPTION_EPR (SECONDS | DATETIME | infinity)

``subscribe`` listens for notifications and prints one line each (``Value 4 -> 5``
for a value change; ``--xml`` prints the messages) until interrupted, ``--count``
messages, or the producer's termination; then it unsubscribes, unless ``--keep``.
A TOPIC is ``{namespace}Name``, ``prefix:Name`` with ``-n prefix=namespace``, a bare
name from the producer's topic set, or any expression with ``--topic-dialect full``;
without one, every topic (WS-BaseNotification 1.3).
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import signal
import sys
from datetime import timedelta
from typing import Any

from lxml import etree


def _cli() -> Any:
    from gridware.clients import cli

    return cli


def _when(text: str) -> Any:
    from gridware.codegen.runtime import SimpleTypeError, parse_datetime

    spec = text.strip()
    if spec.lower() in ("infinity", "none", "never"):
        return None
    try:
        return timedelta(seconds=float(spec))
    except ValueError:
        pass
    try:
        return parse_datetime(spec)
    except SimpleTypeError as exc:
        raise _cli().UsageError(
            f"{spec!r}: give seconds from now, 'infinity' or a dateTime ({exc})"
        ) from None


def _topic(args: argparse.Namespace) -> tuple[Any, str | None, dict[str, str]]:
    """(topic spec, topic dialect, namespaces) from the command line."""
    cli = _cli()
    namespaces = cli._namespaces(args.namespace)
    text = args.topic
    if text is None:
        return None, None, namespaces
    if args.topic_dialect is not None:
        return text, args.topic_dialect, namespaces
    if not text.startswith("{") and ":" in text:
        prefix = text.partition(":")[0]
        if prefix not in namespaces:
            raise cli.UsageError(
                f"unknown prefix {prefix!r} in {text!r}: add -n {prefix}=NAMESPACE"
            )
        kind = "concrete" if "/" in text else "simple"
        return text, kind, namespaces
    return text, None, namespaces


def _producer(args: argparse.Namespace) -> Any:
    from gridware.clients.wsn import ProducerClient

    cli = _cli()
    target = cli._target(args)
    return ProducerClient(
        target, dialect=args.dialect, soap=args.soap, transport=cli._transport(args, target.address)
    )


def _subscription(args: argparse.Namespace) -> Any:
    from gridware.clients.wsn import SubscriptionClient

    cli = _cli()
    target = cli._target(args)
    return SubscriptionClient(
        target, dialect=args.dialect, soap=args.soap, transport=cli._transport(args, target.address)
    )


def describe(n: Any, xml: bool = False) -> str:
    """One line for a notification (``--xml``: its message, pretty-printed)."""
    topic = "/".join(n.topic.path) if n.topic is not None else (n.topic_text or "-")
    if xml:
        el = etree.fromstring(etree.tostring(n.message))
        etree.cleanup_namespaces(el)
        return f"{topic}\n" + etree.tostring(el, pretty_print=True, encoding="unicode").rstrip()
    if n.is_value_change:
        old = n.old_values
        before = "?" if old is None else ",".join((v.text or "").strip() for v in old) or "(none)"
        after = ",".join((v.text or "").strip() for v in n.new_values) or "(none)"
        return f"{topic} {before} -> {after}"
    if n.is_termination:
        when = n.termination_time
        reason = ""
        for child in n.message.iterchildren(etree.Element):
            if etree.QName(child).localname == "TerminationReason":
                reason = f": {(child.text or '').strip()}"
        return f"{topic} terminated at {when.isoformat() if when else '?'}{reason}"
    el = etree.fromstring(etree.tostring(n.message))
    etree.cleanup_namespaces(el)
    return f"{topic} {etree.tostring(el, encoding='unicode')}"


def cmd_subscribe(args: argparse.Namespace) -> int:
    from gridware.clients.wsn import default_listener
    from gridware.container.faults import Fault
    from gridware.container.wsn import NotificationListener

    producer = _producer(args)
    topic, dialect, namespaces = _topic(args)
    if topic is not None and dialect is None and not topic.startswith("{"):
        topic = producer.resolve_topic(topic)
    own_listener = bool(args.listen or args.https or args.require_signature or args.advertise)
    if own_listener:
        host, _, port = (args.listen or "").rpartition(":") if args.listen else ("", "", "0")
        if args.listen and not host:
            host, port = args.listen, "0"
        if not port.isdigit():
            raise _cli().UsageError(f"--listen {args.listen!r}: write HOST or HOST:PORT")
        listener = NotificationListener(
            host or "127.0.0.1",
            int(port),
            advertised_host=args.advertise,
            https=args.https,
            credential=args.proxy,
            cert_dir=args.cert_dir,
            require_signature=args.require_signature,
            producer_identity=args.producer_identity,
        ).start()
    else:
        listener = default_listener(producer.epr.address)
    inbox: queue.Queue[Any] = queue.Queue(maxsize=10000)
    consumer = listener.add(inbox.put, addressing=producer.dialect.addressing)
    options: dict[str, Any] = {
        "topic_dialect": dialect,
        "namespaces": namespaces,
        "message_content": args.message_content,
        "producer_properties": args.producer_properties,
        "termination": _when(args.termination) if args.termination else None,
        "raw": args.raw,
    }
    if args.batch is not None:
        options["batch"] = args.batch
    elif not args.raw:
        options["batch"] = 100
    try:
        subscription = producer.subscribe(consumer.epr, topic, **options)
    except BaseException:
        consumer.remove()
        raise
    if args.epr_out:
        subscription.epr.write(args.epr_out)
    print(f"subscribed; listening at {listener.url}", file=sys.stderr, flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    seen = 0
    ended = False
    try:
        while args.count is None or seen < args.count:
            try:
                n = inbox.get(timeout=0.5)
            except queue.Empty:
                continue
            seen += 1
            print(describe(n, args.xml), flush=True)
            if n.is_termination:
                ended = True  # the producer is gone, and the subscription with it
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.remove()
        if not args.keep and not ended:
            with contextlib.suppress(Fault):  # already gone
                subscription.unsubscribe()
        if own_listener:
            listener.close()
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    for t in _producer(args).topics():
        print(str(t))
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    producer = _producer(args)
    topic, dialect, namespaces = _topic(args)
    message = producer.get_current_message(topic, topic_dialect=dialect, namespaces=namespaces)
    _cli()._print_elements([message], False)
    return 0


def _manage(action: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        client = _subscription(args)
        if action == "renew":
            new = client.renew(_when(args.when))
            print(f"termination time: {new.isoformat() if new else 'infinity'}")
        else:
            getattr(client, action)()
            print(
                {"pause": "paused", "resume": "resumed", "unsubscribe": "unsubscribed"}[action],
                file=sys.stderr,
            )
        return 0

    return run


def add_commands(subparsers: Any) -> None:
    """Add ``wsn`` to the ``gridware`` command line."""
    cli = _cli()
    wsn = subparsers.add_parser(
        "wsn",
        help="WS-Notification: subscribe, get current messages, manage subscriptions",
        description="WS-BaseNotification 1.3 and the 2004/06 draft (Globus Toolkit 4).",
    )
    sub = wsn.add_subparsers(dest="wsn_command", metavar="ACTION")
    sub.required = True

    def topic_args(p: argparse.ArgumentParser, required: bool) -> None:
        p.add_argument(
            "topic",
            nargs=None if required else "?",
            metavar="TOPIC",
            help="{namespace}Name, prefix:Name (with -n), a bare name of the producer's topic "
            "set, or an expression in --topic-dialect",
        )
        p.add_argument(
            "--topic-dialect",
            choices=["simple", "concrete", "full"],
            help="write TOPIC as an expression of this WS-Topics dialect (prefixes with -n)",
        )

    p = sub.add_parser(
        "subscribe",
        help="subscribe and print each notification",
        description="Subscribe to a producer and print one line per notification until "
        "interrupted (then unsubscribe).",
    )
    cli._add_target(p)
    topic_args(p, required=False)
    p.add_argument("--message-content", metavar="XPATH", help="only messages where XPATH is true")
    p.add_argument(
        "--producer-properties",
        metavar="XPATH",
        help="only while XPATH is true on the producer's resource properties",
    )
    p.add_argument("--termination", metavar="SECONDS|DATETIME", help="end the subscription then")
    p.add_argument("--raw", action="store_true", help="raw delivery (no Notify wrapper)")
    p.add_argument("--batch", type=int, metavar="N", help="notifications per Notify (default 100)")
    p.add_argument("--count", type=int, metavar="N", help="stop after N notifications")
    p.add_argument("--xml", action="store_true", help="print the messages as XML")
    p.add_argument("--keep", action="store_true", help="do not unsubscribe when done")
    p.add_argument(
        "-o",
        "--subscription-out",
        dest="epr_out",
        metavar="FILE",
        help="write the subscription's endpoint reference here",
    )
    p.add_argument(
        "--listen",
        metavar="HOST[:PORT]",
        help="where to listen (default: the interface that reaches the producer, a free port)",
    )
    p.add_argument("--advertise", metavar="HOST", help="the host name to give the producer")
    p.add_argument(
        "--https",
        action="store_true",
        help="listen with HTTPS, presenting --proxy (default: your proxy)",
    )
    p.add_argument(
        "--require-signature",
        action="store_true",
        help="accept only notifications signed with WS-Security by a trusted signer",
    )
    p.add_argument(
        "--producer-identity", metavar="DN", help="the signer (and TLS client) the producer must be"
    )
    p.set_defaults(func=cmd_subscribe)

    p = sub.add_parser(
        "topics",
        help="list a producer's topics",
        description="List the topics of a producer (its TopicSet, or the drafts' Topic property).",
    )
    cli._add_target(p)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser(
        "get-current-message",
        help="print the last message on a topic",
        description="GetCurrentMessage: the last message published on TOPIC.",
    )
    cli._add_target(p)
    topic_args(p, required=True)
    p.set_defaults(func=cmd_current)

    for action, text in (
        ("pause", "pause a subscription"),
        ("resume", "resume a paused subscription"),
        ("unsubscribe", "end a subscription"),
    ):
        p = sub.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        cli._add_target(p)
        p.set_defaults(func=_manage(action))
    p = sub.add_parser(
        "renew",
        help="move the end of a subscription",
        description="Renew (SetTerminationTime in the drafts) a subscription.",
    )
    cli._add_target(p)
    p.add_argument("when", metavar="SECONDS|DATETIME|infinity")
    p.set_defaults(func=_manage("renew"))


__all__ = ["add_commands", "describe"]
