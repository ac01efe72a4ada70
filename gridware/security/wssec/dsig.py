"""The arithmetic of XML Signature: exclusive c14n, digests, RSA PKCS#1 v1.5.

Canonicalization is libxml2's exclusive XML canonicalization (the one xmlsec1 and
python-xmlsec use too), reached through lxml, applied to the very element a
reference was resolved to; digests are hashlib's, signatures cryptography's.  The
verifier computes and checks digests over exactly the elements it decided to
accept, so no second resolver (an XML-DSig engine following ``#id`` on its own)
can disagree with it; and it is several times faster than xmlsec's node-set
based processing (0.2-0.4 ms per reference) on small SOAP messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections.abc import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from gridware.security.wssec.errors import MalformedMessageError
from gridware.security.wssec.soap import Element

_HASHES: dict[str, type[hashes.SHA256] | type[hashes.SHA1]] = {
    "sha256": hashes.SHA256,
    "sha1": hashes.SHA1,
}


def canonicalize(element: Element, prefixes: Sequence[str] | None = None) -> bytes:
    """Exclusive c14n (without comments) of ``element`` in its document context.

    ``prefixes`` is the InclusiveNamespaces PrefixList (``#default`` for the
    default namespace): those bindings in scope are rendered even if unused.

    Only for documents from :func:`reparse`: lxml hands libxml2 only the prefixes
    found in the document's string dictionary, and prefixes declared through the
    lxml API are not in it, nor is ``#default`` (libxml2 also reads ``""`` as the
    default namespace, and :func:`reparse` makes sure ``""`` is in the dictionary).
    """
    names = ["" if p == "#default" else p for p in prefixes] if prefixes else None
    return etree.tostring(
        element, method="c14n", exclusive=True, with_comments=False, inclusive_ns_prefixes=names
    )


def remove_signature(signature: Element) -> None:
    """The enveloped-signature transform, on a private copy of the document: remove the
    Signature element but not the text that follows it (lxml would take it along)."""
    parent = signature.getparent()
    assert parent is not None
    if signature.tail:
        previous = signature.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + signature.tail
        else:
            parent.text = (parent.text or "") + signature.tail
    parent.remove(signature)


_local = threading.local()


def parser() -> etree.XMLParser:
    """This thread's parser for documents we made or already parsed once."""
    found: etree.XMLParser | None = getattr(_local, "parser", None)
    if found is None:  # lxml parsers must not be shared between threads
        found = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=True, collect_ids=False
        )
    return found


def reparse(element: Element) -> Element:
    """The document of ``element`` (its root), serialized and parsed again: a private,
    faithful copy whose canonical forms are exactly those of the bytes on the wire."""
    xml_parser = parser()
    etree.fromstring(b'<p xmlns=""/>', xml_parser)  # puts "" in the parser's dictionary
    try:
        return etree.fromstring(etree.tostring(element.getroottree().getroot()), xml_parser)
    except etree.XMLSyntaxError:
        raise MalformedMessageError("the message cannot be canonicalized") from None


def parse(text: str) -> Element:
    return etree.fromstring(text.encode("utf-8"), parser())


def counterpart(element: Element, copy: Element) -> Element:
    """The element of ``copy`` (from :func:`reparse`) at the place of ``element``."""
    path = []
    node = element
    while (parent := node.getparent()) is not None:
        path.append(parent.index(node))
        node = parent
    for index in reversed(path):
        copy = copy[index]
    return copy


def digest(data: bytes, algorithm: str) -> bytes:
    return hashlib.new(algorithm, data).digest()


def same_digest(data: bytes, algorithm: str, expected: bytes) -> bool:
    return hmac.compare_digest(digest(data, algorithm), expected)


def rsa_sign(key: rsa.RSAPrivateKey, data: bytes, algorithm: str) -> bytes:
    return key.sign(data, padding.PKCS1v15(), _HASHES[algorithm]())


def rsa_verify(key: rsa.RSAPublicKey, signature: bytes, data: bytes, algorithm: str) -> bool:
    try:
        key.verify(signature, data, padding.PKCS1v15(), _HASHES[algorithm]())
    except InvalidSignature:
        return False
    return True


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_b64(text: str | None) -> bytes | None:
    """Decode base64 (whitespace allowed, as XML-DSig writes it); None if it is not base64."""
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return None
