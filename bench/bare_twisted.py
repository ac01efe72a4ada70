"""A bare Twisted Web server: the baseline the container is compared with.

One leaf resource answers every POST with the same bytes (a SOAP response read
from a file), so the difference to the container is what gridware does per
request: parse the envelope, dispatch, build and serialize the reply.  Like the
container's site it writes no access log.

    python bench/bare_twisted.py PORT RESPONSE_FILE [--content-type TYPE] [--no-form-parsing]

By default the site is Twisted's default ``Site``, which parses every POST body
whose Content-Type it recognises as a form (and parses the Content-Type header
with the ``email`` package to find out); ``--no-form-parsing`` turns that off
(``Site(parsePOSTFormSubmission=False)``).

Stops on SIGTERM/SIGINT.  Used by ``throughput.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.web import resource, server


class FixedSoapResponse(resource.Resource):
    """Every POST gets ``body``; GET answers too, so a poller can see we are up."""

    isLeaf = True

    def __init__(self, body: bytes, content_type: bytes) -> None:
        super().__init__()
        self.body = body
        self.content_type = content_type

    def render_POST(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", self.content_type)
        return self.body

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", b"text/plain")
        return b"bare twisted.web server\n"


class QuietSite(server.Site):
    """No access log, like the container's site."""

    def log(self, request: Any) -> None:
        pass


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("port", type=int)
    p.add_argument("response_file")
    p.add_argument("--content-type", default="text/xml; charset=utf-8")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--no-form-parsing", action="store_true", help="parsePOSTFormSubmission=False")
    args = p.parse_args()
    body = Path(args.response_file).read_bytes()
    root = FixedSoapResponse(body, args.content_type.encode())
    if args.no_form_parsing:
        site = QuietSite(root, parsePOSTFormSubmission=False)
    else:
        site = QuietSite(root)
    reactor.listenTCP(args.port, site, interface=args.host)
    reactor.run()


if __name__ == "__main__":
    main()
