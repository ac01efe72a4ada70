"""Security in the container: host credential, HTTPS, authorization, the caller.

The container reaches :mod:`gridware.security` through this module only.

A service's security descriptor (``[service.security]`` in the container
config, or :class:`ServiceSecurity` in code) says whether it needs HTTPS
(``transport``), signed messages (``message``), and who may call it
(``authorization``: none, authenticated, self, identity, gridmap, host or a
Python callout),
per service and per operation.  Everything fails closed: a misconfiguration
stops the container at start; a rejected request never reaches service code.
"""

from __future__ import annotations

import functools
import importlib
import logging
import ssl
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree

from gridware.container import faults
from gridware.container.http11 import PeerRejected
from gridware.security import Credential, GridMap, TrustStore
from gridware.security.errors import SecurityError, UntrustedCAError, ValidationError
from gridware.security.names import dn_string
from gridware.security.validation import ValidationOptions, ValidationResult, Validator
from gridware.security.wssec import (
    MessageSecurityError,
    ReplayCache,
    VerifiedMessage,
    Verifier,
    encrypt_body,
    sign,
)
from gridware.security.wssec.ns import SignatureAlgorithm

if TYPE_CHECKING:
    from cryptography import x509

    from gridware.container.client import HttpTransport
    from gridware.container.service import RequestContext
    from gridware.container.xml import Element

log = logging.getLogger("gridware.container.security")


class SecurityConfigError(ValueError):
    """The security configuration is unusable; the message says what to fix."""


class NotAuthorizedFault(faults.SenderFault):
    """The caller is not authorized for this operation."""


class AuthenticationFault(faults.SenderFault):
    """The caller could not be authenticated."""


class TransportSecurityFault(faults.SenderFault):
    """The service requires a secure transport."""


@dataclass
class Caller:
    """Who is calling, as far as the container could establish."""

    identity: str | None = None  # the grid identity (end-entity DN) of the caller
    transport: ValidationResult | None = None  # validated TLS client chain
    message: VerifiedMessage | None = None  # the verified WS-Security signature, if signed
    local_user: str | None = None  # the grid-mapfile account, when a gridmap mapped it
    secure_transport: bool = False

    @property
    def authenticated(self) -> bool:
        return self.identity is not None

    @property
    def limited(self) -> bool:
        results = [r for r in (self.transport, getattr(self.message, "signer", None)) if r]
        return any(getattr(r, "limited", False) for r in results)


ANONYMOUS = Caller()

#: How long a signer's validated chain is trusted again without validation (a new
#: file in the trusted directory, such as a published CRL, ends it at once).
CHAIN_CACHE_TTL = timedelta(seconds=60)


# -- host credentials and trust --------------------------------------------------------------


@dataclass
class HostSecurity:
    """The container's own credential and trust anchors."""

    credential: Credential
    trust: TrustStore
    validator: Validator
    gridmap: GridMap | None = None
    clock_skew: timedelta = timedelta(minutes=5)
    replay_cache: ReplayCache = field(default_factory=ReplayCache)
    delegation: Any = None
    """The container's DelegationService, once deployed."""

    @property
    def identity(self) -> str:
        return self.credential.identity

    @functools.cached_property
    def verifier(self) -> Verifier:
        """Checks WS-Security signed requests (one for all services: one replay cache)."""
        return Verifier(
            self.validator,
            clock_skew=self.clock_skew,
            replay_cache=self.replay_cache,
            decryption_credential=self.credential,
            chain_cache_ttl=CHAIN_CACHE_TTL,
        )

    def verify_message(self, envelope: Element, signed_headers: Iterable[str]) -> VerifiedMessage:
        """Verify (and decrypt) a request; :class:`AuthenticationFault` saying why not."""
        try:
            return self.verifier.verify(envelope, required_headers=signed_headers)
        except MessageSecurityError as exc:
            raise AuthenticationFault(f"the message security is not acceptable: {exc}") from None

    def protect_reply(self, data: bytes, recipient: x509.Certificate | None) -> bytes:
        """Sign a reply envelope with the host credential; encrypt its Body for
        ``recipient`` (the caller's certificate) when given."""
        envelope = etree.fromstring(data)
        sign(envelope, self.credential)
        if recipient is not None:
            encrypt_body(envelope, recipient)
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    @classmethod
    def load(
        cls,
        certificate: str | Path,
        key: str | Path,
        cert_dir: str | Path | None = None,
        gridmap: str | Path | None = None,
        *,
        clock_skew: timedelta = timedelta(minutes=5),
        options: ValidationOptions | None = None,
    ) -> HostSecurity:
        """Load and check everything now: any problem is a :class:`SecurityConfigError`."""
        try:
            credential = Credential.load(certificate, key)
        except (SecurityError, OSError) as exc:
            raise SecurityConfigError(f"host credential {certificate}, {key}: {exc}") from None
        try:
            trust = TrustStore(Path(cert_dir)) if cert_dir else TrustStore.default()
            trust.describe()
        except (SecurityError, OSError) as exc:
            raise SecurityConfigError(f"trusted certificates directory: {exc}") from None
        validator = Validator(trust, options)
        try:
            validator.validate(credential.certificates)
        except ValidationError as exc:
            raise SecurityConfigError(
                f"the host certificate {credential.subject} does not validate against "
                f"{trust.describe()}: {exc}"
            ) from None
        grid_map = None
        if gridmap:
            try:
                grid_map = GridMap.load(gridmap)
            except (SecurityError, OSError) as exc:
                raise SecurityConfigError(f"grid-mapfile {gridmap}: {exc}") from None
        return cls(credential, trust, validator, grid_map, clock_skew)

    def validate_chain(self, chain: list[x509.Certificate]) -> ValidationResult:
        """Validate a peer's chain; raises :class:`AuthenticationFault` saying why not."""
        try:
            return self.validator.validate(chain)
        except UntrustedCAError:
            # its message names our trusted directory: not for the wire
            raise AuthenticationFault(
                "the client certificate is not acceptable: its chain does not lead to a CA "
                "this service trusts"
            ) from None
        except ValidationError as exc:
            raise AuthenticationFault(f"the client certificate is not acceptable: {exc}") from None

    def tls_context_factory(self) -> TLSContextFactory:
        return TLSContextFactory(self.credential)


class TLSContextFactory:
    """The server side of HTTPS: our host credential; client certificates (proxies
    included) are requested, and validated by gridware.security for each connection."""

    def __init__(self, credential: Credential) -> None:
        from OpenSSL import SSL, crypto

        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_options(SSL.OP_NO_COMPRESSION)
        ctx.use_certificate(crypto.X509.from_cryptography(credential.certificate))
        for cert in credential.chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(cert))
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(credential.private_key))  # type: ignore[arg-type]
        ctx.check_privatekey()
        # OpenSSL would refuse RFC 3820 proxies by default; gridware validates the chain
        ctx.set_verify(SSL.VERIFY_PEER, _accept_for_later_validation)
        ctx.set_session_id(b"gridware")
        self._context = ctx

    def getContext(self) -> Any:
        return self._context


def _accept_for_later_validation(*_: Any) -> bool:
    return True


def peer_chain(transport: Any) -> list[x509.Certificate] | None:
    """The client certificate chain of a TLS transport (leaf first), or None."""
    conn = getattr(transport, "_tlsConnection", None)
    if conn is None:
        return None
    leaf = conn.get_peer_certificate()
    if leaf is None:
        return None
    rest = conn.get_peer_cert_chain() or []
    chain = [leaf.to_cryptography()]
    for cert in rest:
        c = cert.to_cryptography()
        if c != chain[0]:
            chain.append(c)
    return chain


# -- authorization ------------------------------------------------------------------------


class Authorizer(Protocol):
    """Decides whether ``caller`` may run the operation; raises NotAuthorizedFault if not."""

    name: str

    def __call__(self, caller: Caller, context: RequestContext) -> None: ...


@dataclass
class NoAuthorization:
    """Anyone, authenticated or not."""

    name: str = "none"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        return None


def _require_identity(caller: Caller) -> str:
    if caller.identity is None:
        raise NotAuthorizedFault("not authorized: the request carries no authenticated identity")
    return caller.identity


@dataclass
class AuthenticatedAuthorization:
    """Any caller with a valid credential (whoever it is)."""

    name: str = "authenticated"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        _require_identity(caller)


@dataclass
class SelfAuthorization:
    """Only callers with the container's own identity."""

    host_identity: str
    name: str = "self"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        if _require_identity(caller) != self.host_identity:
            raise NotAuthorizedFault(f"not authorized: {caller.identity} is not this container")


@dataclass
class IdentityAuthorization:
    """Only the listed identities (DNs)."""

    identities: tuple[str, ...]
    name: str = "identity"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        if _require_identity(caller) not in self.identities:
            raise NotAuthorizedFault(f"not authorized: {caller.identity} is not allowed here")


@dataclass
class GridmapAuthorization:
    """Callers the grid-mapfile maps to a local account (recorded as ``local_user``)."""

    gridmap: GridMap
    name: str = "gridmap"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        identity = _require_identity(caller)
        user = self.gridmap.local_user(identity)
        if user is None:
            raise NotAuthorizedFault(f"not authorized: {identity} is not in the grid-mapfile")
        caller.local_user = user


@dataclass
class HostAuthorization:
    """Callers presenting a host credential for this container's host (service to service)."""

    host_identity: str
    name: str = "host"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        identity = _require_identity(caller)
        host = _host_name(identity)
        if host is None or host != _host_name(self.host_identity):
            raise NotAuthorizedFault(
                f"not authorized: {identity} is not a host credential of this host"
            )


def _host_name(dn: str) -> str | None:
    cn = dn.rsplit("/CN=", 1)[-1] if "/CN=" in dn else None
    if cn is None:
        return None
    return cn.removeprefix("host/")


@dataclass
class CalloutAuthorization:
    """A Python function ``(caller, context) -> bool`` named ``module:function``."""

    function: Callable[[Caller, Any], Any]
    spec: str
    name: str = "callout"

    def __call__(self, caller: Caller, context: RequestContext) -> None:
        try:
            allowed = self.function(caller, context)
        except faults.Fault:
            raise
        except Exception:
            log.exception("authorization callout %s failed", self.spec)
            raise NotAuthorizedFault("not authorized: the authorization callout failed") from None
        if allowed is not True:
            raise NotAuthorizedFault(f"not authorized by {self.spec}")


# -- descriptors --------------------------------------------------------------------------

TRANSPORTS = ("none", "https")
MESSAGES = ("none", "signature", "encryption")
POLICIES = ("none", "authenticated", "self", "identity", "gridmap", "host", "callout")
RESOURCE_ACCESS = ("creator", "any")


@dataclass
class OperationSecurity:
    transport: str = "none"
    message: str = "none"
    authorization: Authorizer = field(default_factory=NoAuthorization)
    allow_limited: bool = True
    """False where a full proxy is required (as Globus GRAM does for job submission)."""


@dataclass
class ServiceSecurity:
    """A service's security descriptor, with per-operation overrides."""

    default: OperationSecurity = field(default_factory=OperationSecurity)
    operations: dict[str, OperationSecurity] = field(default_factory=dict)
    resource_access: str = "creator"
    host: HostSecurity | None = None
    """The container's credential: verifies signed requests, signs their replies."""

    def for_operation(self, name: str) -> OperationSecurity:
        return self.operations.get(name, self.default)

    @property
    def enabled(self) -> bool:
        descriptors = [self.default, *self.operations.values()]
        return any(
            d.transport != "none"
            or d.message != "none"
            or d.authorization.name != "none"
            or not d.allow_limited
            for d in descriptors
        )

    @classmethod
    def from_config(
        cls, table: Mapping[str, Any], host: HostSecurity | None, where: str
    ) -> ServiceSecurity:
        """Read a ``[service.security]`` table; :class:`SecurityConfigError` names the problem."""
        known = {
            "transport",
            "message",
            "authorization",
            "identity",
            "gridmap",
            "callout",
            "operations",
            "resource_access",
            "allow_limited",
        }
        unknown = set(table) - known
        if unknown:
            raise SecurityConfigError(
                f"{where}: unknown security setting(s) {', '.join(sorted(unknown))}"
            )
        default = _operation_security(table, OperationSecurity(), host, where)
        operations = {}
        for op, sub in (table.get("operations") or {}).items():
            if not isinstance(sub, Mapping):
                raise SecurityConfigError(f"{where}: operations.{op} must be a table")
            extra = set(sub) - (known - {"operations", "resource_access"})
            if extra:
                raise SecurityConfigError(
                    f"{where}: operations.{op}: unknown setting(s) {', '.join(sorted(extra))}"
                )
            operations[op] = _operation_security(sub, default, host, f"{where}: operations.{op}")
        access = table.get("resource_access", "creator")
        if access not in RESOURCE_ACCESS:
            raise SecurityConfigError(
                f"{where}: resource_access must be one of {', '.join(RESOURCE_ACCESS)}"
            )
        out = cls(default, operations, access, host)
        if out.enabled and host is None:
            raise SecurityConfigError(
                f"{where}: security needs a host credential: set certificate, key and cert_dir "
                "in [container.security]"
            )
        return out


def _operation_security(
    table: Mapping[str, Any], base: OperationSecurity, host: HostSecurity | None, where: str
) -> OperationSecurity:
    transport = table.get("transport", base.transport)
    if transport not in TRANSPORTS:
        raise SecurityConfigError(f"{where}: transport must be one of {', '.join(TRANSPORTS)}")
    message = table.get("message", base.message)
    if message not in MESSAGES:
        raise SecurityConfigError(f"{where}: message must be one of {', '.join(MESSAGES)}")
    policy = table.get("authorization")
    authorizer = base.authorization if policy is None else _authorizer(table, policy, host, where)
    allow_limited = table.get("allow_limited", base.allow_limited)
    if not isinstance(allow_limited, bool):
        raise SecurityConfigError(f"{where}: allow_limited must be true or false")
    return OperationSecurity(transport, message, authorizer, allow_limited)


def _authorizer(
    table: Mapping[str, Any], policy: str, host: HostSecurity | None, where: str
) -> Authorizer:
    if policy not in POLICIES:
        raise SecurityConfigError(f"{where}: authorization must be one of {', '.join(POLICIES)}")
    if policy == "none":
        return NoAuthorization()
    if host is None:
        raise SecurityConfigError(f"{where}: authorization {policy!r} needs [container.security]")
    if policy == "authenticated":
        return AuthenticatedAuthorization()
    if policy == "self":
        return SelfAuthorization(host.identity)
    if policy == "host":
        return HostAuthorization(host.identity)
    if policy == "identity":
        ids = table.get("identity")
        if isinstance(ids, str):
            ids = [ids]
        if not ids or not all(isinstance(i, str) and i.startswith("/") for i in ids):
            raise SecurityConfigError(
                f"{where}: authorization 'identity' needs identity = \"/O=.../CN=...\" (or a list)"
            )
        return IdentityAuthorization(tuple(ids))
    if policy == "gridmap":
        path = table.get("gridmap")
        if path:
            try:
                return GridmapAuthorization(GridMap.load(path))
            except (SecurityError, OSError) as exc:
                raise SecurityConfigError(f"{where}: grid-mapfile {path}: {exc}") from None
        if host.gridmap is None:
            raise SecurityConfigError(
                f"{where}: authorization 'gridmap' needs gridmap = PATH here or in "
                "[container.security]"
            )
        return GridmapAuthorization(host.gridmap)
    spec = table.get("callout")
    if not isinstance(spec, str) or ":" not in spec:
        raise SecurityConfigError(
            f"{where}: authorization 'callout' needs callout = \"module:function\""
        )
    module_name, _, attr = spec.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:
        raise SecurityConfigError(f"{where}: cannot load callout {spec}: {exc}") from None
    if not callable(function):
        raise SecurityConfigError(f"{where}: callout {spec} is not callable")
    return CalloutAuthorization(function, spec)


def dn(name: x509.Name) -> str:
    """Globus string form of an X.509 name."""
    return dn_string(name)


# -- the client side ---------------------------------------------------------------------


def client_tls_context(
    credential: Credential | None = None,
    cert_dir: str | Path | None = None,
    *,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A TLS context for calling gridware (or Globus) services over HTTPS.

    ``credential`` (typically the user's proxy) is presented as the client
    certificate chain; the server certificate must chain to a CA in ``cert_dir``
    (default: ``$X509_CERT_DIR`` and the Globus locations) and, unless
    ``check_hostname`` is false (an expected DN is checked instead), match the host.
    """
    from gridware.security import environment

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = check_hostname
    ctx.verify_mode = ssl.CERT_REQUIRED
    directory = Path(cert_dir) if cert_dir else environment.cert_dir()
    try:
        ctx.load_verify_locations(capath=str(directory))
        # Globus directories name CA files <hash>.0, which OpenSSL reads on demand;
        # load them too so that a mistyped directory fails now, not at the handshake
        for pem in sorted(directory.glob("*.0")):
            ctx.load_verify_locations(cafile=str(pem))
    except (OSError, ssl.SSLError) as exc:
        raise SecurityConfigError(f"trusted certificates directory {directory}: {exc}") from None
    if credential is not None:
        _load_client_chain(ctx, credential)
    return ctx


def _load_client_chain(ctx: ssl.SSLContext, credential: Credential) -> None:
    """ssl reads chains from files only: a private temporary file, removed at once."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(prefix="gridware-tls-", suffix=".pem")
    try:
        os.write(fd, credential.to_proxy_pem())
        os.close(fd)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def default_client_context() -> ssl.SSLContext:
    """What https:// calls use when nothing is configured, as Globus clients do: the
    user's proxy (``$X509_USER_PROXY`` or ``/tmp/x509up_u<uid>``) when there is a
    valid one, and the trusted CAs of ``$X509_CERT_DIR`` or the Globus locations
    (the system's CAs when there is no such directory)."""
    from gridware.security import environment

    credential = _default_credential()
    try:
        directory = environment.cert_dir()
    except SecurityError:
        ctx = ssl.create_default_context()
        if credential is not None:
            _load_client_chain(ctx, credential)
        return ctx
    return client_tls_context(credential, directory)


def _default_credential() -> Credential | None:
    """The user's proxy, if there is a valid one (a broken one is logged and skipped)."""
    from gridware.security import environment

    path = environment.proxy_path()
    if not path.exists():
        return None
    try:
        loaded = Credential.load_proxy(path)
    except (SecurityError, OSError) as exc:
        log.warning("not using the proxy %s: %s", path, exc)
        return None
    if loaded.time_left() <= timedelta(0):
        log.warning("not using the proxy %s: it has expired", path)
        return None
    return loaded


def default_tls_policy() -> Any:
    """The asynchronous counterpart of :func:`default_client_context` (for Agents)."""
    from twisted.web.client import BrowserLikePolicyForHTTPS
    from twisted.web.iweb import IPolicyForHTTPS
    from zope.interface import directlyProvides

    from gridware.security import environment

    try:
        environment.cert_dir()
    except SecurityError:
        return BrowserLikePolicyForHTTPS()
    policy = GridTLSPolicy(_default_credential())
    directlyProvides(policy, IPolicyForHTTPS)
    return policy


MESSAGE_MODES = ("none", "signature", "encryption")


def secure_transport(
    proxy: Credential | str | Path | None = None,
    *,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
    anonymous: bool = False,
    message: str = "none",
    server_certificate: x509.Certificate | str | Path | None = None,
    timeout: float = 60.0,
) -> HttpTransport:
    """An :class:`~gridware.container.client.HttpTransport` for calling secured services.

    The client presents ``proxy`` (a :class:`Credential` or a proxy file; default:
    the user's proxy as Globus finds it, ``$X509_USER_PROXY`` or
    ``/tmp/x509up_u<uid>``), or nothing when ``anonymous``.  Servers must chain
    to a CA in ``cert_dir`` and either match the URL's host name or, when
    ``identity`` is given, have exactly that subject DN.

    Over https:// the proxy is the TLS client certificate.  ``message="signature"``
    also signs every request with WS-Security (over http:// or https://) and
    requires signed replies; ``"encryption"`` moreover encrypts request bodies for
    ``server_certificate`` (the service's host certificate) and requires
    encrypted replies.  Raises :class:`SecurityConfigError` saying what is missing.
    """
    from gridware.container.client import HttpTransport

    if message not in MESSAGE_MODES:
        raise SecurityConfigError(f"message must be one of {', '.join(MESSAGE_MODES)}")
    credential: Credential | None = None
    if anonymous:
        if message != "none":
            raise SecurityConfigError("an anonymous caller cannot sign messages")
    else:
        credential = _usable_credential(proxy)
    context = client_tls_context(credential, cert_dir, check_hostname=identity is None)
    check = expect_identity(identity) if identity is not None else None
    protection = None
    if credential is not None and message != "none":
        recipient = None
        if message == "encryption":
            if server_certificate is None:
                raise SecurityConfigError(
                    "message encryption needs the service's certificate (server_certificate)"
                )
            recipient = _certificate(server_certificate)
        protection = MessageProtection(
            credential, cert_dir=cert_dir, identity=identity, encrypt_for=recipient
        )
    return HttpTransport(timeout, ssl_context=context, peer_check=check, message=protection)


def _certificate(value: x509.Certificate | str | Path) -> x509.Certificate:
    from cryptography import x509 as cx509

    if isinstance(value, cx509.Certificate):
        return value
    try:
        return cx509.load_pem_x509_certificate(Path(value).read_bytes())
    except (OSError, ValueError) as exc:
        raise SecurityConfigError(f"cannot read the certificate {value}: {exc}") from None


@dataclass(frozen=True)
class SentRequest:
    """What :meth:`MessageProtection.accept` needs to know about the request."""

    url: str
    message_id: str | None
    encrypted: bool


class MessageProtection:
    """WS-Security for a client: signs (and maybe encrypts) requests, verifies replies.

    Replies must be signed by the service (its host name, or ``identity``), answer
    this very request (a signed ``wsa:RelatesTo``), and be encrypted when the
    request was.  An unsigned SOAP fault is still reported (it can only refuse).
    """

    def __init__(
        self,
        credential: Credential,
        *,
        cert_dir: str | Path | None = None,
        identity: str | None = None,
        encrypt_for: x509.Certificate | None = None,
        algorithm: SignatureAlgorithm = "rsa-sha256",
        clock_skew: timedelta = timedelta(minutes=5),
    ) -> None:
        try:
            trust = TrustStore(Path(cert_dir)) if cert_dir else TrustStore.default()
            trust.describe()
        except (SecurityError, OSError) as exc:
            raise SecurityConfigError(f"trusted certificates directory: {exc}") from None
        self.credential = credential
        self.identity = identity
        self.encrypt_for = encrypt_for
        self.algorithm: SignatureAlgorithm = algorithm
        self.verifier = Verifier(
            Validator(trust),
            clock_skew=clock_skew,
            decryption_credential=credential,
            chain_cache_ttl=CHAIN_CACHE_TTL,
        )

    def protect(self, url: str, data: bytes) -> tuple[bytes, SentRequest]:
        """Sign (and encrypt) one request envelope."""
        envelope = etree.fromstring(data)  # our own serialization
        message_id = None
        for el in envelope.iter("{*}MessageID"):
            if etree.QName(el).namespace in _WSA_NAMESPACES:
                message_id = (el.text or "").strip()
                break
        sign(envelope, self.credential, algorithm=self.algorithm, must_understand=True)
        if self.encrypt_for is not None:
            encrypt_body(envelope, self.encrypt_for)
        out = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        return out, SentRequest(url, message_id, self.encrypt_for is not None)

    def accept(self, sent: SentRequest, content_type: str, data: bytes) -> bytes:
        """Verify (and decrypt) a reply; raises TransportError when it is not acceptable."""
        from gridware.container.client import TransportError
        from gridware.container.xml import XMLLimits, parse_xml
        from gridware.security.wssec.soap import Envelope

        if "xml" not in content_type.lower():
            return data  # not SOAP: the caller reports it
        try:
            root = parse_xml(data, XMLLimits(max_size=max(len(data), 1)))
            parts = Envelope.of(root)
        except Exception:
            return data  # unreadable: the caller reports it
        body_children = [c for c in parts.body if isinstance(c.tag, str)]
        is_fault = bool(body_children) and etree.QName(body_children[0]).localname == "Fault"
        if parts.security_header() is None:
            if is_fault:
                return data
            raise TransportError(f"{sent.url} sent an unsigned reply to a signed request")
        try:
            verified = self.verifier.verify(root)
        except MessageSecurityError as exc:
            raise TransportError(f"{sent.url}: the reply is not acceptable: {exc}") from None
        problem = self._signer_problem(verified, sent.url)
        if problem:
            raise TransportError(f"{sent.url}: the reply {problem}")
        if sent.message_id is not None and not any(
            (el.text or "").strip() == sent.message_id and verified.is_signed(el)
            for el in parts.header_blocks()
            if etree.QName(el).localname == "RelatesTo"
            and etree.QName(el).namespace in _WSA_NAMESPACES
        ):
            raise TransportError(f"{sent.url}: the signed reply does not answer this request")
        if sent.encrypted and not verified.encrypted and not is_fault:
            raise TransportError(f"{sent.url}: the reply to an encrypted request is not encrypted")
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    def _signer_problem(self, verified: VerifiedMessage, url: str) -> str | None:
        signer = verified.signer
        if self.identity is not None:
            if signer.identity != self.identity:
                return f"is signed by {signer.identity}, not the expected {self.identity}"
            return None
        host = urllib.parse.urlsplit(url).hostname or ""
        if not certificate_names_host(signer.end_entity, host):
            return f"is signed by {signer.identity}, which is not a certificate of {host}"
        return None


_WSA_NAMESPACES = frozenset(
    {
        "http://www.w3.org/2005/08/addressing",
        "http://schemas.xmlsoap.org/ws/2004/08/addressing",
        "http://schemas.xmlsoap.org/ws/2004/03/addressing",
    }
)


def certificate_names_host(certificate: x509.Certificate, host: str) -> bool:
    """Does the certificate name ``host`` (SAN DNS/IP, else CN, ``host/`` prefix allowed)?"""
    import ipaddress

    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID

    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    try:
        san = certificate.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value
    except cx509.ExtensionNotFound:
        san = None
    if san is not None:
        if address is not None:
            return address in san.get_values_for_type(cx509.IPAddress)
        return host in [d.lower().rstrip(".") for d in san.get_values_for_type(cx509.DNSName)]
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return False
    cn = str(names[-1].value).lower().removeprefix("host/")
    return cn == host


class GridTLSPolicy:
    """Twisted's side of :func:`secure_transport`: an ``IPolicyForHTTPS`` for
    ``twisted.web.client.Agent`` (and so for the asynchronous clients and proxies).

    Presents ``credential`` (a proxy chain; None: anonymous), trusts the CAs of
    ``cert_dir`` and checks the server's host name, or its subject DN when
    ``identity`` is given.  :func:`secure_agent` makes an Agent with it.
    """

    def __init__(
        self,
        credential: Credential | None,
        cert_dir: str | Path | None = None,
        identity: str | None = None,
    ) -> None:
        from gridware.security import environment

        self.credential = credential
        self.identity = identity
        try:
            directory = Path(cert_dir) if cert_dir else environment.cert_dir()
        except SecurityError as exc:
            raise SecurityConfigError(str(exc)) from None
        if not directory.is_dir():
            raise SecurityConfigError(f"trusted certificates directory {directory} does not exist")
        self.cert_dir = directory
        self._contexts: dict[str, Any] = {}

    def _context(self, hostname: str) -> Any:
        from OpenSSL import SSL, crypto

        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_options(SSL.OP_NO_COMPRESSION)
        ctx.load_verify_locations(None, str(self.cert_dir))
        ctx.set_verify(SSL.VERIFY_PEER, _openssl_verdict)
        if self.credential is not None:
            ctx.use_certificate(crypto.X509.from_cryptography(self.credential.certificate))
            for cert in self.credential.chain:
                ctx.add_extra_chain_cert(crypto.X509.from_cryptography(cert))
            key = crypto.PKey.from_cryptography_key(self.credential.private_key)  # type: ignore[arg-type]
            ctx.use_privatekey(key)
        check = self._peer_check(hostname)

        def info(conn: Any, where: int, ret: int) -> None:
            if where & SSL.SSL_CB_HANDSHAKE_DONE:
                problem = check(conn)
                if problem is not None:
                    from twisted.python.failure import Failure

                    conn.get_app_data().failVerification(Failure(PeerRejected(problem)))

        ctx.set_info_callback(info)
        return ctx

    def _peer_check(self, hostname: str) -> Callable[[Any], str | None]:
        expected = self.identity

        def check(conn: Any) -> str | None:
            peer = conn.get_peer_certificate()
            if peer is None:
                return "the server sent no certificate"
            certificate = peer.to_cryptography()
            if expected is not None:
                subject = dn_string(certificate.subject)
                if subject != expected:
                    return f"the service identifies as {subject}, not the expected {expected}"
                return None
            if not certificate_names_host(certificate, hostname):
                return f"the server certificate does not name {hostname}"
            return None

        return check

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        import ipaddress

        name = hostname.decode("ascii")
        ctx = self._contexts.get(name)
        if ctx is None:
            ctx = self._contexts[name] = self._context(name)
        try:
            ipaddress.ip_address(name)
            sni = None
        except ValueError:
            sni = hostname
        return _ConnectionCreator(ctx, sni)


def _openssl_verdict(conn: Any, cert: Any, errno: int, depth: int, ok: int) -> bool:
    return bool(ok)


class _ConnectionCreator:
    def __init__(self, ctx: Any, sni: bytes | None) -> None:
        from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
        from zope.interface import directlyProvides

        self.ctx = ctx
        self.sni = sni
        directlyProvides(self, IOpenSSLClientConnectionCreator)

    def clientConnectionForTLS(self, protocol: Any) -> Any:
        from OpenSSL import SSL

        conn = SSL.Connection(self.ctx, None)
        conn.set_app_data(protocol)
        if self.sni is not None:
            conn.set_tlsext_host_name(self.sni)
        return conn


def secure_agent(
    proxy: Credential | str | Path | None = None,
    *,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
    anonymous: bool = False,
    reactor: Any = None,
) -> Any:
    """A ``twisted.web.client.Agent`` (persistent connections) that calls https://
    services as :func:`secure_transport` does: for ``AsyncServiceProxy(agent=...)``."""
    from twisted.web.client import Agent, HTTPConnectionPool
    from twisted.web.iweb import IPolicyForHTTPS
    from zope.interface import directlyProvides

    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    credential = None if anonymous else _usable_credential(proxy)
    policy = GridTLSPolicy(credential, cert_dir, identity)
    directlyProvides(policy, IPolicyForHTTPS)
    return Agent(reactor, contextFactory=policy, pool=HTTPConnectionPool(reactor))


def _usable_credential(proxy: Credential | str | Path | None) -> Credential:
    try:
        credential = _client_credential(proxy)
    except (SecurityError, OSError) as exc:
        raise SecurityConfigError(
            f"no usable proxy credential ({exc}): run 'gridware proxy init' or call anonymously"
        ) from None
    if credential.time_left() <= timedelta(0):
        raise SecurityConfigError(
            f"the proxy {credential.subject} has expired: run 'gridware proxy init'"
        )
    return credential


def _client_credential(proxy: Credential | str | Path | None) -> Credential:
    if isinstance(proxy, Credential):
        return proxy
    return Credential.load_proxy(proxy)


def expect_identity(expected: str) -> Callable[[bytes], None]:
    """A peer check for :class:`~gridware.container.client.HttpTransport`: the server
    certificate's subject must be ``expected`` (a Globus DN string)."""
    from cryptography import x509 as cx509

    def check(der: bytes) -> None:
        subject = dn_string(cx509.load_der_x509_certificate(der).subject)
        if subject != expected:
            raise PeerRejected(f"the service identifies as {subject}, not the expected {expected}")

    return check
