"""TLS for notifications sent to https:// consumers.

With a host credential the container presents it, and checks the consumer's
chain with its own validator (RFC 3820 proxies allowed, the CAs it trusts): the
consumer must be the subscriber (its identity is the subscription's creator) or
present a certificate of the consumer's host.  Notifications of a subscription
made by Jane go to a listener holding Jane's proxy, not to whoever squats the
port.  Without a host credential the user's proxy and Globus CA directory are
used as for any client (:func:`gridware.container.security.default_tls_policy`).
"""

from __future__ import annotations

from typing import Any

from gridware.container.security import HostSecurity, certificate_names_host
from gridware.container.wsn.delivery import Recipient
from gridware.container.wsn.http import Target


def consumer_tls_creator(host: HostSecurity | None, target: Target, recipient: Recipient) -> Any:
    """An ``IOpenSSLClientConnectionCreator`` for one https consumer."""
    if host is None:
        from gridware.container.security import default_tls_policy

        return default_tls_policy().creatorForNetloc(target.host.encode("idna"), target.port)
    return _ConsumerCreator(host, target, recipient.owner)


class _ConsumerCreator:
    def __init__(self, host: HostSecurity, target: Target, owner: str | None) -> None:
        from OpenSSL import SSL, crypto
        from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
        from zope.interface import directlyProvides

        directlyProvides(self, IOpenSSLClientConnectionCreator)
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_options(SSL.OP_NO_COMPRESSION)
        credential = host.credential
        ctx.use_certificate(crypto.X509.from_cryptography(credential.certificate))
        for cert in credential.chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(cert))
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(credential.private_key))  # type: ignore[arg-type]
        # OpenSSL refuses proxy chains by default: gridware validates after the handshake
        ctx.set_verify(SSL.VERIFY_PEER, lambda *args: True)
        hostname = target.host

        def info(conn: Any, where: int, ret: int) -> None:
            if where & SSL.SSL_CB_HANDSHAKE_DONE:
                problem = _check(conn, host, hostname, owner)
                if problem is not None:
                    from twisted.python.failure import Failure

                    from gridware.container.http11 import PeerRejected

                    conn.get_app_data().failVerification(Failure(PeerRejected(problem)))

        ctx.set_info_callback(info)
        self.ctx = ctx
        self.hostname = hostname

    def clientConnectionForTLS(self, protocol: Any) -> Any:
        import ipaddress

        from OpenSSL import SSL

        conn = SSL.Connection(self.ctx, None)
        conn.set_app_data(protocol)
        try:
            ipaddress.ip_address(self.hostname)
        except ValueError:
            conn.set_tlsext_host_name(self.hostname.encode("idna"))
        return conn


def _check(conn: Any, host: HostSecurity, hostname: str, owner: str | None) -> str | None:
    leaf = conn.get_peer_certificate()
    if leaf is None:
        return "the consumer sent no certificate"
    chain = [leaf.to_cryptography()]
    for cert in conn.get_peer_cert_chain() or []:
        c = cert.to_cryptography()
        if c != chain[0]:
            chain.append(c)
    try:
        result = host.validator.validate(chain)
    except Exception as exc:
        return f"the consumer's certificate is not acceptable: {exc}"
    if owner is not None and result.identity == owner:
        return None
    if certificate_names_host(result.end_entity, hostname):
        return None
    who = owner or f"a certificate of {hostname}"
    return f"the consumer identifies as {result.identity}, not {who}"


__all__ = ["consumer_tls_creator"]
