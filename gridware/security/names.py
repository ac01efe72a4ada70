"""Distinguished names: the Globus string form and OpenSSL's subject hash.

Globus writes names the way OpenSSL's one-line format does,
``/O=Grid/OU=Test/CN=Jane Doe``; grid-mapfiles, signing policies and the
identities the rest of gridware sees use that form.  Trusted CA directories name
files after OpenSSL's *subject hash* (``openssl x509 -hash``): the first four bytes,
little-endian, of the SHA-1 of the name's canonical encoding (each string value
converted to UTF-8, ASCII letters lowered, leading and trailing white space removed
and inner runs of white space folded to one space; the RDN SETs concatenated
without the outer SEQUENCE).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import NameOID

from gridware.security import der
from gridware.security.errors import InvalidNameError

# Short names as OpenSSL prints them (OBJ_nid2sn); anything else is printed dotted.
_SHORT_NAMES: dict[str, str] = {
    NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "ST",
    NameOID.LOCALITY_NAME.dotted_string: "L",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.COMMON_NAME.dotted_string: "CN",
    NameOID.EMAIL_ADDRESS.dotted_string: "emailAddress",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC",
    NameOID.USER_ID.dotted_string: "UID",
    NameOID.SERIAL_NUMBER.dotted_string: "serialNumber",
    NameOID.TITLE.dotted_string: "title",
    NameOID.GIVEN_NAME.dotted_string: "GN",
    NameOID.SURNAME.dotted_string: "SN",
    NameOID.STREET_ADDRESS.dotted_string: "street",
    NameOID.POSTAL_CODE.dotted_string: "postalCode",
}
_BY_SHORT_NAME: dict[str, x509.ObjectIdentifier] = {
    short.lower(): x509.ObjectIdentifier(oid) for oid, short in _SHORT_NAMES.items()
}
# Spellings older OpenSSL and Globus releases used for the same attributes.
_BY_SHORT_NAME.update(
    {
        "email": NameOID.EMAIL_ADDRESS,
        "e": NameOID.EMAIL_ADDRESS,
        "userid": NameOID.USER_ID,
    }
)

_CANON_STRING_TAGS = {
    der.UTF8_STRING,
    der.BMP_STRING,
    der.UNIVERSAL_STRING,
    der.PRINTABLE_STRING,
    der.T61_STRING,
    der.IA5_STRING,
    der.VISIBLE_STRING,
}
_SPACE = b" \t\n\v\f\r"
_GENERAL_STRING = 0x1B


def _string_value(tag: int, content: bytes) -> str:
    """Decode a directory string the way OpenSSL's ASN1_STRING_to_UTF8 does."""
    try:
        if tag == der.UTF8_STRING:
            return content.decode("utf-8")
        if tag == der.BMP_STRING:
            return content.decode("utf-16-be")
        if tag == der.UNIVERSAL_STRING:
            return content.decode("utf-32-be")
    except UnicodeDecodeError as exc:
        raise InvalidNameError(f"undecodable string in a name: {exc}") from None
    return content.decode("latin-1")  # one byte per character


def _canonical_value(tag: int, content: bytes) -> bytes:
    if tag not in _CANON_STRING_TAGS:
        return der.encode(tag, content)
    raw = _string_value(tag, content).encode("utf-8").strip(_SPACE)
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c in _SPACE:
            out.append(0x20)
            while i < len(raw) and raw[i] in _SPACE:
                i += 1
            continue
        out.append(c + 32 if 0x41 <= c <= 0x5A else c)
        i += 1
    return der.encode(der.UTF8_STRING, bytes(out))


def _rdns(encoded: bytes) -> list[list[tuple[str, der.TLV]]]:
    """The name's RDNs from its DER: per RDN, (attribute OID, value element)."""
    try:
        top = der.decode(encoded).expect(der.SEQUENCE)
        rdns = []
        for rdn in top.children():
            atvs = []
            for atv in rdn.expect(der.SET).children():
                parts = atv.expect(der.SEQUENCE).children()
                if len(parts) != 2:
                    raise der.DERError("AttributeTypeAndValue needs a type and a value")
                atvs.append((der.decode_oid(parts[0]), parts[1]))
            if not atvs:
                raise der.DERError("empty RDN")
            rdns.append(atvs)
        return rdns
    except der.DERError as exc:
        raise InvalidNameError(f"malformed distinguished name: {exc}") from None


@dataclass(frozen=True)
class _NameInfo:
    canonical_rdns: tuple[bytes, ...]
    dn: str
    hash: str


@lru_cache(maxsize=4096)
def _info(encoded: bytes) -> _NameInfo:
    """Everything derived from one name, computed once per distinct DER encoding."""
    rdns = _rdns(encoded)
    canonical = tuple(
        der.encode_set(
            [
                der.encode_sequence(der.encode_oid(oid), _canonical_value(v.tag, v.content))
                for oid, v in rdn
            ]
        )
        for rdn in rdns
    )
    digest = hashlib.sha1(b"".join(canonical), usedforsecurity=False).digest()
    dn = "".join(
        "/"
        + "+".join(
            f"{_SHORT_NAMES.get(oid, oid)}={_escaped(_oneline_bytes(value.tag, value.content))}"
            for oid, value in rdn
        )
        for rdn in rdns
    )
    return _NameInfo(canonical, dn, f"{int.from_bytes(digest[:4], 'little'):08x}")


def _name_info(name: x509.Name) -> _NameInfo:
    return _info(name.public_bytes())


def canonical_rdns(name: x509.Name) -> list[bytes]:
    """Per RDN, the canonical encoding of its SET (what OpenSSL compares and hashes)."""
    return list(_name_info(name).canonical_rdns)


def canonical_encoding(name: x509.Name) -> bytes:
    return b"".join(_name_info(name).canonical_rdns)


def names_match(a: x509.Name, b: x509.Name) -> bool:
    """Equal as OpenSSL compares names (canonical encodings; case and spacing folded).

    Not ``a == b``: that ignores the string types, which OpenSSL does not for
    values outside the directory-string types.
    """
    return _name_info(a).canonical_rdns == _name_info(b).canonical_rdns


def subject_hash(name: x509.Name) -> str:
    """OpenSSL's subject hash of a name, as 8 hex digits (``openssl x509 -hash``)."""
    return _name_info(name).hash


def subject_hash_old(name: x509.Name) -> str:
    """The OpenSSL 0.9.x hash (MD5 of the DER), ``openssl x509 -subject_hash_old``."""
    digest = hashlib.md5(name.public_bytes(), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


# -- the Globus string form ------------------------------------------------------------


def _oneline_bytes(tag: int, content: bytes) -> bytes:
    """The bytes OpenSSL's one-line form prints for a value: the stored bytes, except
    that a GeneralString of 4-byte characters with zero padding is narrowed."""
    if tag == _GENERAL_STRING and len(content) % 4 == 0:
        chunks = [content[i : i + 4] for i in range(0, len(content), 4)]
        if all(not any(chunk[:3]) for chunk in chunks):
            return bytes(chunk[3] for chunk in chunks)
    return content


def _escaped(raw: bytes) -> str:
    """Printable ASCII as is; every other byte as ``\\xHH`` (as OpenSSL and Globus print)."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E else f"\\x{b:02X}" for b in raw)


def dn_string(name: x509.Name) -> str:
    """``/O=Grid/OU=Test/CN=Jane Doe``: the Globus form of a name.

    Exactly what OpenSSL's one-line form (and so Globus) prints: short attribute
    names, ``+`` between the values of a multi-valued RDN, and bytes outside
    printable ASCII (UTF-8 included) as ``\\xHH``.
    """
    return _name_info(name).dn


def parse_dn(text: str) -> x509.Name:
    """Parse the Globus form (``/O=Grid/CN=Jane Doe``) into a name.

    Values are stored as UTF8String except C (PrintableString), as OpenSSL's
    ``-subj`` does with ``utf8`` on.  A ``/`` or ``+`` inside a value can be
    written as ``\\/`` or ``\\+``.
    """
    if not text.startswith("/"):
        raise InvalidNameError(f"{text!r}: a DN is written /O=Org/OU=Unit/CN=Name")
    rdns: list[x509.RelativeDistinguishedName] = []
    for rdn_text in _split_unescaped(text[1:], "/"):
        attributes = []
        for atv in _split_unescaped(rdn_text, "+"):
            key, sep, value = atv.partition("=")
            if not sep or not key.strip():
                raise InvalidNameError(f"{text!r}: {atv!r} is not KEY=value")
            value = _unescape(value)
            if not value:
                raise InvalidNameError(f"{text!r}: empty value for {key}")
            oid = _BY_SHORT_NAME.get(key.strip().lower())
            if oid is None:
                try:
                    der.encode_oid(key.strip())
                except der.DERError:
                    raise InvalidNameError(f"{text!r}: unknown attribute {key!r}") from None
                oid = x509.ObjectIdentifier(key.strip())
            try:
                attributes.append(x509.NameAttribute(oid, value))
            except ValueError as exc:
                raise InvalidNameError(f"{text!r}: {exc}") from None
        rdns.append(x509.RelativeDistinguishedName(attributes))
    if not rdns:
        raise InvalidNameError(f"{text!r}: empty DN")
    return x509.Name(rdns)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts = []
    current = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    if any(not p for p in parts):
        raise InvalidNameError(f"empty component in {text!r}")
    return parts


def _unescape(value: str) -> str:
    """Undo ``\\xHH`` (a byte; the bytes are UTF-8) and ``\\c`` (the character c)."""
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        digits = value[i + 2 : i + 4]
        if ch == "\\" and value[i + 1 : i + 2] == "x" and len(digits) == 2 and _is_hex(digits):
            out.append(int(digits, 16))
            i += 4
            continue
        if ch == "\\" and i + 1 < len(value):
            ch = value[i + 1]
            i += 1
        out.extend(ch.encode("utf-8"))
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return out.decode("latin-1")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


_LEGACY_SPELLINGS = (
    ("/Email=", "/emailAddress="),
    ("/E=", "/emailAddress="),
    ("/USERID=", "/UID="),
)


def normalize_dn_string(text: str) -> str:
    """Fold the historical spellings (``/Email=``, ``/USERID=``) into today's."""
    for old, new in _LEGACY_SPELLINGS:
        text = text.replace(old, new)
    return text


def base_name(name: x509.Name) -> x509.Name:
    """The name without its last RDN (``/O=Grid/OU=Test/CN=CA`` -> ``/O=Grid/OU=Test``)."""
    return x509.Name(list(name.rdns)[:-1])


def append_cn(name: x509.Name, common_name: str) -> x509.Name:
    """The name with one more RDN, ``CN=common_name``."""
    return x509.Name(
        [
            *name.rdns,
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]),
        ]
    )
