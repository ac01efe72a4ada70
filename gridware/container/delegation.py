"""The delegation service: callers hand the container a credential that acts as them.

Deployed as ``DelegationService`` in every container with a host credential.
``getCertificate`` returns the host certificate; ``delegate`` takes a proxy
chain signed by the caller for that certificate's key (see
:mod:`gridware.security.delegation`) and returns the endpoint reference of a
``DelegatedCredential`` resource, which lives until the proxy expires (WS-RF
Destroy ends it sooner; ``refresh`` replaces the chain).  Only its creator may
use, refresh or destroy it.  Service code gets it with
``context.delegated_credential()`` (the caller's latest) or
``context.delegated_credential(epr)``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization

from gridware.container.addressing import EndpointReference
from gridware.container.resource import Resource, ResourceProperty
from gridware.container.security import (
    AuthenticatedAuthorization,
    HostSecurity,
    NotAuthorizedFault,
    OperationSecurity,
    ServiceSecurity,
)
from gridware.container.service import RequestContext, Service, operation
from gridware.security.credential import Credential
from gridware.security.delegation import DelegationError, accept_delegation
from gridware.security.validation import ValidationResult

NS = "http://gridware.org/security/delegation"
SERVICE_NAME = "DelegationService"


class DelegationRefusedFault(NotAuthorizedFault):
    """The delegated chain is not acceptable."""


class DelegatedCredential(Resource):
    namespace = NS
    document = "DelegatedCredentialProperties"

    identity = ResourceProperty("Identity", "string")
    not_after = ResourceProperty("NotAfter", "dateTime")
    limited = ResourceProperty("Limited", "boolean", default=False)

    credential: Credential | None = None


class DelegationService(Service):
    """Accepts delegated proxy chains (see the module docstring)."""

    namespace = NS
    resource_class = DelegatedCredential
    key = f"{{{NS}}}DelegationKey"

    def __init__(
        self, host: HostSecurity, name: str = SERVICE_NAME, *, transport: str = "none"
    ) -> None:
        super().__init__(name=name)
        self.host = host
        self.security = ServiceSecurity(
            OperationSecurity(transport=transport, authorization=AuthenticatedAuthorization()),
            operations={"getCertificate": OperationSecurity(transport=transport)},
            host=host,
        )
        host.delegation = self

    @operation
    def getCertificate(self) -> str:
        """The host certificate (PEM): delegate to its public key."""
        pem = self.host.credential.certificate.public_bytes(serialization.Encoding.PEM)
        return pem.decode("ascii")

    @operation
    def delegate(self, context: RequestContext, chain: str) -> EndpointReference:
        """Store a delegated proxy chain (PEM, leaf first); returns its EPR."""
        credential, result = self._accept(chain, context)
        assert self.home is not None
        resource = self.home.create(
            identity=result.identity, not_after=result.not_after, limited=result.limited
        )
        resource.credential = credential
        self.home.set_termination_time(resource, result.not_after)
        return self.epr(resource)

    @operation
    def refresh(self, context: RequestContext, chain: str) -> None:
        """Replace the delegated chain of this resource with a new one."""
        resource = context.resource()
        if resource.identity != context.caller.identity:
            raise NotAuthorizedFault("not authorized: only the delegator may refresh it")
        credential, result = self._accept(chain, context)
        resource.credential = credential
        resource.not_after = result.not_after
        resource.limited = result.limited
        assert self.home is not None
        self.home.set_termination_time(resource, result.not_after)

    def _accept(self, chain: str, context: RequestContext) -> tuple[Credential, ValidationResult]:
        try:
            credential, result = accept_delegation(
                chain.encode("utf-8"),
                self.host.credential,
                self.host.validator,
                context.caller.identity,
            )
        except DelegationError as exc:
            raise DelegationRefusedFault(f"delegation refused: {exc}") from None
        return credential, result

    # -- for service code -----------------------------------------------------------------

    def credential_for(
        self, identity: str | None, epr: EndpointReference | None = None
    ) -> Credential | None:
        """The credential ``identity`` delegated (at ``epr``, else the longest-lived one)."""
        if identity is None or self.home is None:
            return None
        now = datetime.now(UTC)
        if epr is not None:
            key = epr.reference(self.key)
            resource = self.home.get(key)
            if resource is None or resource.identity != identity:
                return None
            candidates = [resource]
        else:
            candidates = [
                r
                for k in self.home.keys()  # noqa: SIM118 (a ResourceHome, not a dict)
                if (r := self.home.get(k)) is not None and r.identity == identity
            ]
        usable = [r for r in candidates if r.credential is not None and r.not_after > now]
        if not usable:
            return None
        best: Credential | None = max(usable, key=lambda r: r.not_after).credential
        return best
