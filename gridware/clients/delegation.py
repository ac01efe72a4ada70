"""Delegating a credential to a container's DelegationService.

    from gridware.clients.delegation import delegate
    epr = delegate("https://host:8443/wsrf/services/DelegationService")   # the user's proxy

The service's certificate is checked before anything is signed for it: it must
validate against the trusted CAs and name the service's host (or be
``identity``), so a credential is never delegated to an impostor.
"""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from lxml import etree

from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport, SoapClient, TransportError
from gridware.container.delegation import NS
from gridware.container.security import SecurityConfigError, certificate_names_host
from gridware.security import Credential, TrustStore
from gridware.security.delegation import DEFAULT_DELEGATION_LIFETIME, delegation_chain
from gridware.security.errors import SecurityError, ValidationError
from gridware.security.names import dn_string
from gridware.security.validation import Validator

PORT_TYPE = f"{NS}/DelegationServicePortType"


def _call(
    target: EndpointReference | str, transport: HttpTransport | None, op: str, **args: str
) -> etree._Element:
    body = etree.Element(f"{{{NS}}}{op}", nsmap={"d": NS})
    for name, value in args.items():
        etree.SubElement(body, f"{{{NS}}}{name}").text = value
    return SoapClient(target, transport=transport).call(f"{PORT_TYPE}/{op}Request", body)


def _text(reply: etree._Element) -> str:
    return (reply[0].text if len(reply) else reply.text) or ""


def service_certificate(
    url: str,
    *,
    transport: HttpTransport | None = None,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
) -> x509.Certificate:
    """The certificate the delegation service publishes, checked (see the module docstring)."""
    pem = _text(_call(url, transport, "getCertificate")).encode("ascii", "replace")
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise TransportError(f"{url} published no usable certificate") from None
    try:
        trust = TrustStore(Path(cert_dir)) if cert_dir else TrustStore.default()
        Validator(trust).validate([certificate])
    except ValidationError as exc:
        raise TransportError(f"{url}: the service certificate is not acceptable: {exc}") from None
    except SecurityError as exc:
        raise SecurityConfigError(f"trusted certificates directory: {exc}") from None
    subject = dn_string(certificate.subject)
    if identity is not None:
        if subject != identity:
            raise TransportError(f"{url}: the service is {subject}, not the expected {identity}")
    else:
        host = urllib.parse.urlsplit(url).hostname or ""
        if not certificate_names_host(certificate, host):
            raise TransportError(f"{url}: the service certificate {subject} does not name {host}")
    return certificate


def delegate(
    url: str,
    proxy: Credential | None = None,
    *,
    lifetime: timedelta = DEFAULT_DELEGATION_LIFETIME,
    limited: bool = False,
    transport: HttpTransport | None = None,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
) -> EndpointReference:
    """Delegate ``proxy`` (default: the user's proxy) to the service at ``url``.

    Returns the endpoint reference of the delegated credential; services of that
    container find it with ``context.delegated_credential()``.  The call itself
    must be authenticated: over https:// (``transport``, by default the user's
    proxy) or signed.
    """
    user = proxy or Credential.load_proxy()
    certificate = service_certificate(
        url, transport=transport, cert_dir=cert_dir, identity=identity
    )
    chain = delegation_chain(user, certificate, lifetime, limited=limited)
    reply = _call(url, transport, "delegate", chain=chain.decode("ascii"))
    return EndpointReference.from_element(reply[0] if len(reply) else reply)


def refresh(
    epr: EndpointReference,
    proxy: Credential | None = None,
    *,
    lifetime: timedelta = DEFAULT_DELEGATION_LIFETIME,
    transport: HttpTransport | None = None,
    cert_dir: str | Path | None = None,
    identity: str | None = None,
) -> None:
    """Replace a delegated credential with a fresh one (e.g. after ``gridware proxy init``)."""
    user = proxy or Credential.load_proxy()
    certificate = service_certificate(
        epr.address, transport=transport, cert_dir=cert_dir, identity=identity
    )
    chain = delegation_chain(user, certificate, lifetime)
    _call(epr, transport, "refresh", chain=chain.decode("ascii"))
