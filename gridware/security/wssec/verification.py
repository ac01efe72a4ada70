"""Verifying a WS-Security signed SOAP message, failing closed.

The checks, in the order :meth:`Verifier.verify` makes them (each refusal has its
own :class:`MessageSecurityError` subclass):

1. the envelope: SOAP 1.1 or 1.2, one Header at most, one Body; one Security
   header for this receiver, holding one ``ds:Signature`` and at most one Timestamp;
2. the SignedInfo, before any cryptography: exclusive c14n, RSA-SHA256 or
   RSA-SHA1, SHA-256 or SHA-1 digests (SHA-1 only if ``accept_sha1``), each
   Reference a same-document ``#id`` with exactly the transforms exc-c14n
   (optionally preceded by enveloped-signature when the signature is inside the
   referenced element); no ``ds:Object``, no Manifest, no HMAC;
3. signature wrapping: every Id (wsu:Id, Id, xml:id) of the whole document is
   unique, and every referenced element is where it will be processed: THE
   Body (the Envelope's Body child), a header block (a direct child of the
   Header) or a direct child of the Security header (Timestamp, token);
4. coverage: the Body, the Timestamp and every header block the caller names
   (by default the WS-Addressing headers) that is present are signed;
5. timestamp: present (if required) and fresh, allowing ``clock_skew``;
6. the token: KeyInfo is a SecurityTokenReference to a BinarySecurityToken in
   the same Security header (X509v3 or X509PKIPathv1), nothing else;
7. replay: a message already accepted is refused (before and after the crypto);
8. the digests, each over the very element resolved and checked above, then
   the signature over SignedInfo with the key of the token's leaf certificate;
9. the signer's chain, by the :class:`~gridware.security.validation.Validator`
   (trust, expiry, revocation, RFC 3820 rules, limited proxies), and the leaf
   may sign (keyUsage);
10. the message is remembered in the replay cache until its timestamp expires.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from gridware.security.credential import Credential
from gridware.security.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    KeyUsageError,
    LimitedProxyError,
    ProxyValidationError,
    UntrustedCAError,
    ValidationError,
)
from gridware.security.names import dn_string
from gridware.security.trust import TrustStore
from gridware.security.validation import ValidationResult, Validator
from gridware.security.wssec import dsig
from gridware.security.wssec.encryption import ENCRYPTED_KEY, decrypt_key
from gridware.security.wssec.errors import (
    DecryptionError,
    InvalidSignatureError,
    MalformedMessageError,
    MissingSecurityHeaderError,
    MissingSignatureError,
    MissingTimestampError,
    MissingTokenError,
    ReplayedMessageError,
    SecurityTokenError,
    SignatureWrappingError,
    UnsignedElementError,
    UnsupportedAlgorithmError,
    UnsupportedReferenceError,
    UntrustedSignerError,
)
from gridware.security.wssec.ns import (
    ADDRESSING_HEADERS,
    DIGEST_METHODS,
    DS,
    ENVELOPED_SIGNATURE,
    EXC_C14N,
    EXC_C14N_NS,
    SIGNATURE_METHODS,
    WSSE,
    WSSE11,
    SignatureAlgorithm,
    clark,
)
from gridware.security.wssec.replay import ReplayCache
from gridware.security.wssec.soap import (
    ID_PATTERN,
    SECURITY,
    Element,
    Envelope,
    IdTarget,
    children,
    index_ids,
)
from gridware.security.wssec.timestamp import TIMESTAMP, Timestamp
from gridware.security.wssec.token import BINARY_SECURITY_TOKEN, read_token

SIGNATURE = clark(DS, "Signature")
_SIGNED_INFO = clark(DS, "SignedInfo")
_SIGNATURE_VALUE = clark(DS, "SignatureValue")
_KEY_INFO = clark(DS, "KeyInfo")
_REFERENCE = clark(DS, "Reference")
_TRANSFORMS = clark(DS, "Transforms")
_TRANSFORM = clark(DS, "Transform")
_DIGEST_METHOD = clark(DS, "DigestMethod")
_DIGEST_VALUE = clark(DS, "DigestValue")
_INCLUSIVE_NAMESPACES = clark(EXC_C14N_NS, "InclusiveNamespaces")
_STR = clark(WSSE, "SecurityTokenReference")
_STR_REFERENCE = clark(WSSE, "Reference")

# An xsd:ID (an NCName) after '#': no XPointer, no external URI, no empty URI.
_SAME_DOCUMENT = re.compile(f"#({ID_PATTERN})\\Z")

MAX_REFERENCES = 64
_CHAIN_CACHE_SIZE = 1024

_ALTERED = (
    "the signature does not verify: the message was altered or was not signed with "
    "the key of its security token"
)


@dataclass(frozen=True)
class VerifiedMessage:
    """What a verified signature proves about a message."""

    signer: ValidationResult
    """The signer's validated chain: ``signer.identity`` is the grid identity
    (end-entity DN of a proxy chain), ``signer.limited`` etc."""
    signed_elements: tuple[Element, ...]
    """The signed elements themselves (THE Body, header blocks, the Timestamp, ...)."""
    algorithm: SignatureAlgorithm
    digest_algorithm: str
    """``"sha256"``, or ``"sha1"`` if any reference used SHA-1."""
    timestamp: Timestamp | None
    encrypted: bool = False
    """True if the Body arrived encrypted (and was decrypted in place)."""

    @property
    def identity(self) -> str:
        return self.signer.identity

    def is_signed(self, element: Element) -> bool:
        """Is this very element (not an equal copy) covered by the signature?"""
        return any(element is signed for signed in self.signed_elements)


@dataclass(frozen=True)
class _Reference:
    target: IdTarget
    digest: str
    digest_value: bytes
    prefixes: tuple[str, ...]
    enveloped: bool


@dataclass(frozen=True)
class _SignedInfo:
    element: Element
    prefixes: tuple[str, ...]
    algorithm: SignatureAlgorithm
    signature_value: bytes
    references: tuple[_Reference, ...]

    @property
    def elements(self) -> tuple[Element, ...]:
        return tuple(r.target.element for r in self.references)


class Verifier:
    """Verifies WS-Security signed messages for one relying party (a service, a client).

    ``validator`` (or a :class:`TrustStore`, validated with default options)
    decides which signers are trusted; give it ``ValidationOptions(allow_limited=
    False)`` where a full proxy is required.  ``required_headers`` names the
    header blocks (``{namespace}LocalName``, or :data:`ALL_HEADERS`) that must be
    signed whenever present; add the resource-key header a service uses.
    ``replay_cache`` should be shared by all the verifiers of a process; a
    message without a Timestamp (``require_timestamp=False``) cannot be checked
    for replay.
    ``decryption_credential`` decrypts an encrypted Body (without it, an
    encrypted message is refused).  ``chain_cache_ttl`` (off by default) lets a
    signer chain validated once be trusted again for that long without being
    validated again, unless a file was added to, removed from or renamed in the
    trusted directory meanwhile (publishing a CRL does that; a CRL rewritten in
    place takes up to the TTL to take effect); validation is the larger part of
    the cost of a verification.

    A Verifier is thread-safe.
    """

    def __init__(
        self,
        validator: Validator | TrustStore,
        *,
        clock_skew: timedelta = timedelta(minutes=5),
        replay_cache: ReplayCache | None = None,
        require_timestamp: bool = True,
        accept_sha1: bool = True,
        required_headers: Iterable[str] = ADDRESSING_HEADERS,
        decryption_credential: Credential | None = None,
        chain_cache_ttl: timedelta = timedelta(0),
    ) -> None:
        self.validator = validator if isinstance(validator, Validator) else Validator(validator)
        if clock_skew < timedelta(0):
            raise ValueError("clock_skew must not be negative")
        self.clock_skew = clock_skew
        self.replay_cache = replay_cache if replay_cache is not None else ReplayCache()
        self.require_timestamp = require_timestamp
        self.accept_sha1 = accept_sha1
        if isinstance(required_headers, str):
            raise TypeError("required_headers must be a collection of {namespace}LocalName")
        self.required_headers = frozenset(required_headers)
        self.decryption_credential = decryption_credential
        if chain_cache_ttl < timedelta(0):
            raise ValueError("chain_cache_ttl must not be negative")
        self.chain_cache_ttl = chain_cache_ttl
        self._chains: OrderedDict[
            tuple[bytes, ...], tuple[datetime, int | None, ValidationResult]
        ] = OrderedDict()
        self._chains_lock = threading.Lock()

    def verify(
        self,
        envelope: Element,
        *,
        now: datetime | None = None,
        required_headers: Iterable[str] | None = None,
    ) -> VerifiedMessage:
        """Verify ``envelope`` (decrypting its Body in place if it is encrypted).

        ``required_headers`` replaces the verifier's list for this message.
        Raises a :class:`MessageSecurityError` subclass saying why it is refused.
        """
        when = _aware(now)
        required = (
            self.required_headers if required_headers is None else frozenset(required_headers)
        )
        parts = Envelope.of(envelope)
        security = parts.security_header()
        if security is None:
            raise MissingSecurityHeaderError("the message has no WS-Security header")
        items = children(security)
        signatures = [item for item in items if item.tag == SIGNATURE]
        if not signatures:
            raise MissingSignatureError("the message is not signed (no ds:Signature)")
        if len(signatures) > 1:
            raise MalformedMessageError("more than one signature in the Security header")
        signature = signatures[0]
        timestamps = [item for item in items if item.tag == TIMESTAMP]
        if len(timestamps) > 1:
            raise MalformedMessageError("more than one Timestamp in the Security header")
        keys = [item for item in items if item.tag == ENCRYPTED_KEY]
        if keys and self.decryption_credential is None:
            raise DecryptionError("the message is encrypted and this receiver cannot decrypt it")
        position = items.index(signature)
        # WS-Security: process the header in order; an EncryptedKey before the
        # signature was added after signing (sign-then-encrypt): decrypt first.
        for key in (k for k in keys if items.index(k) < position):
            self._decrypt(parts, key)
        result = self._verify_signature(
            parts, security, signature, timestamps[0] if timestamps else None, when, required
        )
        after = [k for k in keys if items.index(k) > position]
        for key in after:
            self._decrypt(parts, key)
        if keys:
            result = VerifiedMessage(
                result.signer,
                result.signed_elements,
                result.algorithm,
                result.digest_algorithm,
                result.timestamp,
                encrypted=True,
            )
        return result

    # -- the signature ------------------------------------------------------------------

    def _verify_signature(
        self,
        parts: Envelope,
        security: Element,
        signature: Element,
        timestamp_element: Element | None,
        when: datetime,
        required: frozenset[str],
    ) -> VerifiedMessage:
        ids = index_ids(parts.root)
        signed_info = self._signed_info(signature, ids)
        signed = signed_info.elements
        self._check_places(parts, security, signature, signed_info)
        self._check_coverage(parts, security, signed, timestamp_element, required)

        timestamp = None
        if timestamp_element is not None:
            timestamp = Timestamp.read(timestamp_element)
            timestamp.check(when, self.clock_skew)
        elif self.require_timestamp:
            raise MissingTimestampError("the message has no Timestamp; one is required")

        certificates = self._token(security, signature, ids)
        replay_key = None
        if timestamp is not None:
            replay_key = ReplayCache.key(
                signed_info.signature_value, timestamp.created, timestamp.expires
            )
            if self.replay_cache.seen(replay_key, when):
                raise ReplayedMessageError("this message was already received (replay)")

        self._check_signature(signature, signed_info, certificates[0])
        signer = self._validate(certificates, when)
        if replay_key is not None and timestamp is not None:
            self.replay_cache.add(replay_key, timestamp.expires + self.clock_skew, when)
        digests = {r.digest for r in signed_info.references}
        return VerifiedMessage(
            signer=signer,
            signed_elements=signed,
            algorithm=signed_info.algorithm,
            digest_algorithm="sha1" if "sha1" in digests else "sha256",
            timestamp=timestamp,
        )

    def _signed_info(self, signature: Element, ids: dict[str, IdTarget]) -> _SignedInfo:
        parts = children(signature)
        if len(parts) < 2 or parts[0].tag != _SIGNED_INFO or parts[1].tag != _SIGNATURE_VALUE:
            raise MalformedMessageError("the signature must start with SignedInfo, SignatureValue")
        if any(p.tag != _KEY_INFO for p in parts[2:]) or len(parts) > 3:
            raise UnsupportedReferenceError(
                "the signature may only hold SignedInfo, SignatureValue and KeyInfo "
                "(no ds:Object or Manifest)"
            )
        items = children(parts[0])
        if len(items) < 3:
            raise MalformedMessageError("the SignedInfo must have a method and references")
        c14n, method, references = items[0], items[1], items[2:]
        if len(references) > MAX_REFERENCES:
            raise MalformedMessageError(f"more than {MAX_REFERENCES} signature references")
        if c14n.tag != clark(DS, "CanonicalizationMethod") or not _is_exc_c14n(c14n):
            raise UnsupportedAlgorithmError(
                "the SignedInfo must be canonicalized with exclusive c14n"
            )
        algorithm = SIGNATURE_METHODS.get(method.get("Algorithm") or "")
        if method.tag != clark(DS, "SignatureMethod") or algorithm is None or children(method):
            raise UnsupportedAlgorithmError(
                "unsupported signature algorithm (RSA-SHA256 or RSA-SHA1 are accepted)"
            )
        if algorithm == "rsa-sha1" and not self.accept_sha1:
            raise UnsupportedAlgorithmError("RSA-SHA1 signatures are not accepted here")
        parsed: list[_Reference] = []
        for reference in references:
            if reference.tag != _REFERENCE:
                raise MalformedMessageError("the SignedInfo holds something else than references")
            current = self._reference(reference, ids)
            if any(current.target.element is r.target.element for r in parsed):
                raise MalformedMessageError("two references to the same element")
            parsed.append(current)
        value = dsig.from_b64(parts[1].text)
        if not value:
            raise MalformedMessageError("the SignatureValue is not base64")
        return _SignedInfo(parts[0], _prefix_list(c14n), algorithm, value, tuple(parsed))

    def _reference(self, reference: Element, ids: dict[str, IdTarget]) -> _Reference:
        match = _SAME_DOCUMENT.match(reference.get("URI") or "")
        if match is None:
            raise UnsupportedReferenceError(
                "only same-document references to an element Id (#id) are accepted"
            )
        items = children(reference)
        if [i.tag for i in items] != [_TRANSFORMS, _DIGEST_METHOD, _DIGEST_VALUE]:
            raise UnsupportedAlgorithmError(
                "each reference must have Transforms (exclusive c14n), DigestMethod, DigestValue"
            )
        transforms = children(items[0])
        algorithms = [t.get("Algorithm") or "" for t in transforms]
        if (
            any(t.tag != _TRANSFORM for t in transforms)
            or algorithms not in ([EXC_C14N], [ENVELOPED_SIGNATURE, EXC_C14N])
            or not _is_exc_c14n(transforms[-1])
            or (len(transforms) == 2 and children(transforms[0]))
        ):
            raise UnsupportedAlgorithmError(
                "unsupported reference transforms (only exclusive c14n, optionally after "
                "enveloped-signature)"
            )
        digest = DIGEST_METHODS.get(items[1].get("Algorithm") or "")
        if digest is None or children(items[1]):
            raise UnsupportedAlgorithmError("unsupported digest (SHA-256 or SHA-1 are accepted)")
        if digest == "sha1" and not self.accept_sha1:
            raise UnsupportedAlgorithmError("SHA-1 digests are not accepted here")
        target = ids.get(match.group(1))
        if target is None:
            raise InvalidSignatureError(
                f"the signature refers to #{match.group(1)}, which is not in the message"
            )
        digest_value = dsig.from_b64(items[2].text)
        if digest_value is None:
            raise MalformedMessageError("a DigestValue is not base64")
        return _Reference(
            target,
            digest,
            digest_value,
            _prefix_list(transforms[-1]),
            algorithms[0] == ENVELOPED_SIGNATURE,
        )

    def _check_places(
        self, parts: Envelope, security: Element, signature: Element, signed_info: _SignedInfo
    ) -> None:
        """Every signed element is one the receiver processes, where it processes it."""
        body_tag = clark(parts.soap, "Body")
        for reference in signed_info.references:
            element = reference.target.element
            parent = element.getparent()
            if element is parts.body:
                pass
            elif element.tag == body_tag:
                raise SignatureWrappingError(
                    "the signed Body is not the message's Body (signature wrapping)"
                )
            elif element.tag == TIMESTAMP and parent is not security:
                raise SignatureWrappingError(
                    "the signed Timestamp is not the one in the Security header"
                )
            elif parent is None or not (
                (parts.header is not None and parent is parts.header) or parent is security
            ):
                raise SignatureWrappingError(
                    "a signed element is neither the Body, nor a header block, nor part of "
                    "the Security header: what was signed is not what would be processed"
                )
            if next(element.iter(etree.Comment, etree.ProcessingInstruction), None) is not None:
                raise SignatureWrappingError(
                    "comments and processing instructions are not accepted inside signed "
                    "elements (the signature does not cover them, readers of the text would)"
                )
            if reference.enveloped and not any(a is element for a in signature.iterancestors()):
                raise UnsupportedAlgorithmError(
                    "the enveloped-signature transform is only accepted on an element that "
                    "contains the signature"
                )

    def _check_coverage(
        self,
        parts: Envelope,
        security: Element,
        signed: tuple[Element, ...],
        timestamp: Element | None,
        required: frozenset[str],
    ) -> None:
        def is_signed(element: Element) -> bool:
            return any(element is s for s in signed)

        if not is_signed(parts.body):
            raise UnsignedElementError("the SOAP Body is not signed")
        if timestamp is not None and not is_signed(timestamp):
            raise UnsignedElementError("the Timestamp is not signed")
        every = "*" in required
        for block in parts.header_blocks():
            if block.tag == SECURITY or not (every or block.tag in required):
                continue
            if not is_signed(block):
                raise UnsignedElementError(f"the header block {block.tag} is not signed")

    # -- the token and the key ----------------------------------------------------------

    def _token(
        self, security: Element, signature: Element, ids: dict[str, IdTarget]
    ) -> tuple[x509.Certificate, ...]:
        key_infos = [c for c in children(signature) if c.tag == _KEY_INFO]
        if not key_infos:
            raise MissingTokenError("the signature has no KeyInfo naming its security token")
        references = children(key_infos[0])
        if len(references) != 1 or references[0].tag != _STR:
            raise SecurityTokenError(
                "the signature's KeyInfo must be a SecurityTokenReference to a "
                "BinarySecurityToken in the Security header"
            )
        token_reference = references[0]
        inner = children(token_reference)
        if len(inner) != 1 or inner[0].tag != _STR_REFERENCE:
            raise SecurityTokenError(
                "the SecurityTokenReference must be a direct reference to a "
                "BinarySecurityToken in the Security header"
            )
        match = _SAME_DOCUMENT.match(inner[0].get("URI") or "")
        target = ids.get(match.group(1)) if match else None
        if target is None:
            if not any(c.tag == BINARY_SECURITY_TOKEN for c in children(security)):
                raise MissingTokenError("the message carries no BinarySecurityToken")
            raise SecurityTokenError(
                "the SecurityTokenReference does not point at a token of this message"
            )
        token = target.element
        if token.tag != BINARY_SECURITY_TOKEN or token.getparent() is not security:
            raise SecurityTokenError(
                "the signature's key must come from a BinarySecurityToken in the Security header"
            )
        certificates, value_type = read_token(token)
        for declared in (
            inner[0].get("ValueType"),
            token_reference.get(clark(WSSE11, "TokenType")),
        ):
            if declared is not None and declared.strip() != value_type:
                raise SecurityTokenError(
                    "the SecurityTokenReference's type does not match the token's ValueType"
                )
        return certificates

    def _check_signature(
        self, signature: Element, info: _SignedInfo, certificate: x509.Certificate
    ) -> None:
        """The digests of the elements resolved above, then the signature over SignedInfo."""
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise UnsupportedAlgorithmError("the signer's key must be RSA")
        # Canonical forms come from a private copy parsed from the serialized message:
        # the same elements, at the same places (see dsig.canonicalize on why).
        copy = dsig.reparse(signature)
        signed_info = dsig.counterpart(info.element, copy)
        signed_data = dsig.canonicalize(signed_info, info.prefixes)
        copies = [(r, dsig.counterpart(r.target.element, copy)) for r in info.references]
        copies.sort(key=lambda pair: pair[0].enveloped)  # enveloped ones last:
        enveloped_done = False
        for reference, element in copies:
            if reference.enveloped and not enveloped_done:  # they contain the signature
                dsig.remove_signature(dsig.counterpart(signature, copy))
                enveloped_done = True
            data = dsig.canonicalize(element, reference.prefixes)
            if not dsig.same_digest(data, reference.digest, reference.digest_value):
                raise InvalidSignatureError(_ALTERED)
        hash_name = "sha1" if info.algorithm == "rsa-sha1" else "sha256"
        if not dsig.rsa_verify(public, info.signature_value, signed_data, hash_name):
            raise InvalidSignatureError(_ALTERED)

    def _validate(
        self, certificates: tuple[x509.Certificate, ...], when: datetime
    ) -> ValidationResult:
        key: tuple[bytes, ...] = ()
        generation = self.validator.trust.generation()
        if self.chain_cache_ttl and generation is not None:
            key = tuple(c.public_bytes(serialization.Encoding.DER) for c in certificates)
            with self._chains_lock:
                cached = self._chains.get(key)
            if cached is not None:
                validated_at, seen_generation, result = cached
                # reused only while the trusted directory is unchanged (a new CRL
                # is a new file in it) and within the TTL
                if (
                    seen_generation == generation
                    and validated_at <= when < validated_at + self.chain_cache_ttl
                    and when <= result.not_after
                ):
                    return result
        try:
            result = self.validator.validate(certificates, at=when)
            _check_key_usage(result.leaf)
        except ValidationError as exc:
            raise UntrustedSignerError(_signer_refused(exc), exc) from exc
        if key:
            with self._chains_lock:
                self._chains[key] = (when, generation, result)
                self._chains.move_to_end(key)
                while len(self._chains) > _CHAIN_CACHE_SIZE:
                    self._chains.popitem(last=False)
        return result

    def _decrypt(self, parts: Envelope, encrypted_key: Element) -> None:
        assert self.decryption_credential is not None
        decrypt_key(parts, encrypted_key, self.decryption_credential)


def _is_exc_c14n(method: Element) -> bool:
    """Exclusive c14n (without comments), with nothing inside but InclusiveNamespaces."""
    return method.get("Algorithm") == EXC_C14N and all(
        c.tag == _INCLUSIVE_NAMESPACES for c in children(method)
    )


def _prefix_list(method: Element) -> tuple[str, ...]:
    """The InclusiveNamespaces PrefixList of an exc-c14n method or transform."""
    inclusive = [c for c in children(method) if c.tag == _INCLUSIVE_NAMESPACES]
    return tuple((inclusive[0].get("PrefixList") or "").split()) if inclusive else ()


def _check_key_usage(certificate: x509.Certificate) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        subject = dn_string(certificate.subject)
        raise KeyUsageError(f"{subject} may not sign (keyUsage lacks digitalSignature)", subject)


def _signer_refused(error: ValidationError) -> str:
    """Why the signer was refused, in words safe for a fault (no paths, no internals)."""
    who = f" ({error.subject})" if error.subject else ""
    if isinstance(error, CertificateExpiredError):
        reason = f"a certificate of the signer's chain has expired{who}"
    elif isinstance(error, CertificateNotYetValidError):
        reason = f"a certificate of the signer's chain is not valid yet{who}"
    elif isinstance(error, UntrustedCAError):
        reason = f"the signer's certificate is not issued by a trusted CA{who}"
    elif isinstance(error, CertificateRevokedError):
        reason = f"a certificate of the signer's chain has been revoked{who}"
    elif isinstance(error, LimitedProxyError):
        reason = "the signer uses a limited proxy; a full proxy is required"
    elif isinstance(error, KeyUsageError):
        reason = f"the signer's certificate may not sign messages{who}"
    elif isinstance(error, ProxyValidationError):
        reason = f"the signer's proxy chain breaks the proxy certificate rules{who}"
    else:
        reason = f"the signer's certificate chain is not valid{who}"
    return f"signer not trusted: {reason}"


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)
