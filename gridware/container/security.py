"""Security in the container: host credential, HTTPS, authorization, the caller.

The container reaches :mod:`gridware.security` through this module only.

A service's security descriptor (``[service.security]`` in the container
config, or :class:`ServiceSecurity` in code) says whether it needs HTTPS
(``transport``), signed messages (``message``), and who may call it
(``authorization``: none, self, identity, gridmap, host or a Python callout),
per service and per operation.  Everything fails closed: a misconfiguration
stops the container at start; a rejected request never reaches service code.
"""

from __future__ import annotations

import importlib
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gridware.container import faults
from gridware.container.http11 import PeerRejected
from gridware.security import Credential, GridMap, TrustStore
from gridware.security.errors import SecurityError, ValidationError
from gridware.security.names import dn_string
from gridware.security.validation import ValidationOptions, ValidationResult, Validator

if TYPE_CHECKING:
    from cryptography import x509

    from gridware.container.client import HttpTransport
    from gridware.container.service import RequestContext

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
    message: Any = None  # the verified WS-Security signature, when the request was signed
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


# -- host credentials and trust --------------------------------------------------------------


@dataclass
class HostSecurity:
    """The container's own credential and trust anchors."""

    credential: Credential
    trust: TrustStore
    validator: Validator
    gridmap: GridMap | None = None
    clock_skew: timedelta = timedelta(minutes=5)

    @property
    def identity(self) -> str:
        return self.credential.identity

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
POLICIES = ("none", "self", "identity", "gridmap", "host", "callout")
RESOURCE_ACCESS = ("creator", "any")


@dataclass
class OperationSecurity:
    transport: str = "none"
    message: str = "none"
    authorization: Authorizer = field(default_factory=NoAuthorization)


@dataclass
class ServiceSecurity:
    """A service's security descriptor, with per-operation overrides."""

    default: OperationSecurity = field(default_factory=OperationSecurity)
    operations: dict[str, OperationSecurity] = field(default_factory=dict)
    resource_access: str = "creator"

    def for_operation(self, name: str) -> OperationSecurity:
        return self.operations.get(name, self.default)

    @property
    def enabled(self) -> bool:
        descriptors = [self.default, *self.operations.values()]
        return any(
            d.transport != "none" or d.message != "none" or d.authorization.name != "none"
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
        out = cls(default, operations, access)
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
    return OperationSecurity(transport, message, authorizer)


def _authorizer(
    table: Mapping[str, Any], policy: str, host: HostSecurity | None, where: str
) -> Authorizer:
    if policy not in POLICIES:
        raise SecurityConfigError(f"{where}: authorization must be one of {', '.join(POLICIES)}")
    if policy == "none":
        return NoAuthorization()
    if host is None:
        raise SecurityConfigError(f"{where}: authorization {policy!r} needs [container.security]")
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
    import os
    import tempfile

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
        fd, path = tempfile.mkstemp(prefix="gridware-tls-", suffix=".pem")
        try:
            os.write(fd, credential.to_proxy_pem())
            os.close(fd)
            ctx.load_cert_chain(path)
        finally:
            os.unlink(path)
    return ctx


def https_transport(
    proxy: Credential | str | Path | None = None,
    *,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
    anonymous: bool = False,
    timeout: float = 60.0,
) -> HttpTransport:
    """An :class:`~gridware.container.client.HttpTransport` for calling secured services.

    The client presents ``proxy`` (a :class:`Credential` or a proxy file; default:
    the user's proxy as Globus finds it, ``$X509_USER_PROXY`` or
    ``/tmp/x509up_u<uid>``), or nothing when ``anonymous``.  The server must
    chain to a CA in ``cert_dir`` and either match the URL's host name or, when
    ``identity`` is given, have exactly that subject DN.  Raises
    :class:`SecurityConfigError` saying what is missing.
    """
    from gridware.container.client import HttpTransport

    credential: Credential | None = None
    if not anonymous:
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
    context = client_tls_context(credential, cert_dir, check_hostname=identity is None)
    check = expect_identity(identity) if identity is not None else None
    return HttpTransport(timeout, ssl_context=context, peer_check=check)


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
