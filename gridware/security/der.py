"""A small, strict DER reader and writer (the low level under :mod:`gridware.security`).

Only what the security code needs: the universal tags of certificate names and of
the RFC 3820 ProxyCertInfo extension.  The reader accepts **DER only** (definite,
minimal lengths; minimal INTEGERs; canonical BOOLEANs) and raises :class:`DERError`
on anything else, so a malformed extension can never be half-understood.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
UTF8_STRING = 0x0C
NUMERIC_STRING = 0x12
PRINTABLE_STRING = 0x13
T61_STRING = 0x14
IA5_STRING = 0x16
VISIBLE_STRING = 0x1A
UNIVERSAL_STRING = 0x1C
BMP_STRING = 0x1E
SEQUENCE = 0x30
SET = 0x31

MAX_DEPTH = 32


class DERError(ValueError):
    """The bytes are not the DER encoding that was expected."""


@dataclass(frozen=True)
class TLV:
    """One decoded element: its identifier octet, its content and its whole encoding."""

    tag: int
    content: bytes
    encoding: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[TLV]:
        """The elements inside a constructed element (SEQUENCE, SET, ...)."""
        if not self.constructed:
            raise DERError(f"tag 0x{self.tag:02x} is primitive, not constructed")
        return list(iter_elements(self.content))

    def expect(self, tag: int) -> TLV:
        if self.tag != tag:
            raise DERError(f"expected tag 0x{tag:02x}, found 0x{self.tag:02x}")
        return self


def read_element(data: bytes, offset: int = 0) -> tuple[TLV, int]:
    """Decode the element that starts at ``offset``; return it and the offset after it."""
    end = len(data)
    if offset >= end:
        raise DERError("truncated: no element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DERError("high tag numbers are not used here")
    pos = offset + 1
    if pos >= end:
        raise DERError("truncated: no length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DERError("indefinite length is not DER")
    else:
        count = first & 0x7F
        if count > 4:
            raise DERError("length too large")
        if pos + count > end:
            raise DERError("truncated length")
        raw = data[pos : pos + count]
        if raw[0] == 0:
            raise DERError("length has leading zero octets (not DER)")
        length = int.from_bytes(raw, "big")
        if length < 0x80:
            raise DERError("long form used for a short length (not DER)")
        pos += count
    if pos + length > end:
        raise DERError("truncated content")
    return TLV(tag, data[pos : pos + length], data[offset : pos + length]), pos + length


def iter_elements(data: bytes) -> Iterator[TLV]:
    """The consecutive elements that make up ``data`` exactly."""
    offset = 0
    while offset < len(data):
        element, offset = read_element(data, offset)
        yield element


def decode(data: bytes) -> TLV:
    """Decode exactly one element; trailing bytes are an error."""
    element, end = read_element(data)
    if end != len(data):
        raise DERError(f"{len(data) - end} trailing bytes after the element")
    return element


# -- primitive values --------------------------------------------------------------------


def decode_integer(element: TLV) -> int:
    content = element.expect(INTEGER).content
    if not content:
        raise DERError("empty INTEGER")
    if len(content) > 1 and (
        (content[0] == 0 and not content[1] & 0x80) or (content[0] == 0xFF and content[1] & 0x80)
    ):
        raise DERError("INTEGER is not minimally encoded")
    return int.from_bytes(content, "big", signed=True)


def decode_boolean(element: TLV) -> bool:
    content = element.expect(BOOLEAN).content
    if content == b"\xff":
        return True
    if content == b"\x00":
        return False
    raise DERError("BOOLEAN must be 0x00 or 0xff in DER")


def decode_oid(element: TLV) -> str:
    content = element.expect(OBJECT_IDENTIFIER).content
    if not content or content[-1] & 0x80:
        raise DERError("truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    start = True
    for byte in content:
        if start and byte == 0x80:
            raise DERError("OBJECT IDENTIFIER arc is not minimally encoded")
        value = (value << 7) | (byte & 0x7F)
        start = not byte & 0x80
        if start:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(a) for a in head + arcs[1:])


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(content)) + content


def encode_sequence(*elements: bytes) -> bytes:
    return encode(SEQUENCE, b"".join(elements))


def encode_set(elements: list[bytes]) -> bytes:
    """A SET OF: DER orders the encoded elements."""
    return encode(SET, b"".join(sorted(elements)))


def encode_integer(value: int) -> bytes:
    length = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return encode(INTEGER, value.to_bytes(length, "big", signed=True))


def encode_oid(dotted: str) -> bytes:
    try:
        arcs = [int(a) for a in dotted.split(".")]
    except ValueError:
        raise DERError(f"not an OID: {dotted!r}") from None
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40) or min(arcs) < 0:
        raise DERError(f"not an OID: {dotted!r}")
    out = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return encode(OBJECT_IDENTIFIER, bytes(out))


def encode_octet_string(value: bytes) -> bytes:
    return encode(OCTET_STRING, value)
