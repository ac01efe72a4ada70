"""Parsers fail only with their own error class; other key types and padding validate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from hypothesis import given
from hypothesis import strategies as st

from gridware.security import (
    Credential,
    GridMap,
    GridMapError,
    MalformedProxyError,
    ProxyType,
    SigningPolicyError,
    validate,
)
from gridware.security.proxy import ProxyCertInfo
from gridware.security.signing_policy import SigningPolicy
from tests.security.conftest import NOW, proxy_name


@given(st.binary(max_size=80))
def test_proxy_cert_info_parser_fails_only_cleanly(data):
    try:
        info = ProxyCertInfo.from_der(data)
    except MalformedProxyError:
        return
    assert ProxyCertInfo.from_der(info.to_der()) == info


@given(
    st.one_of(
        st.none(),
        st.integers(min_value=0, max_value=2**40),
    ),
    st.sampled_from(["1.3.6.1.5.5.7.21.1", "1.3.6.1.5.5.7.21.2", "1.2.840.1.99", "2.5.29.99"]),
    st.one_of(st.none(), st.binary(max_size=40)),
)
def test_proxy_cert_info_roundtrip(path_length, language, policy):
    if language.startswith("1.3.6.1.5.5.7.21") and policy is not None:
        return
    info = ProxyCertInfo(language, policy, path_length)
    assert ProxyCertInfo.from_der(info.to_der()) == info


_POLICY_ALPHABET = st.sampled_from(
    ["access_id_CA", "X509", "pos_rights", "neg_rights", "globus", "CA:sign", "cond_subjects",
     "'", '"', "/O=Grid/*", " ", "\n", "#", "'\"/O=Grid/*\"'", "'/O=Grid/CN=CA'"]
)  # fmt: skip


@given(st.lists(_POLICY_ALPHABET, max_size=30).map("".join))
def test_signing_policy_parser_fails_only_cleanly(text):
    try:
        policy = SigningPolicy.parse(text)
    except SigningPolicyError:
        return
    policy.allows("/O=Grid/CN=CA", "/O=Grid/CN=x")


@given(st.text(max_size=120))
def test_gridmap_parser_fails_only_cleanly(text):
    try:
        gridmap = GridMap.parse(text)
    except GridMapError as exc:
        assert "grid-mapfile:" in str(exc)
        return
    for entry in gridmap:
        assert gridmap.users(entry.dn)


def _proxy_signed_with(pki, issuer: Credential, key, *, sign) -> Credential:
    builder = (
        x509.CertificateBuilder()
        .subject_name(proxy_name(issuer, "777"))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(777)
        .not_valid_before(NOW - timedelta(minutes=5))
        .not_valid_after(NOW + timedelta(hours=1))
        .add_extension(ProxyCertInfo("1.3.6.1.5.5.7.21.1").to_extension(), critical=True)
    )
    return Credential(sign(builder), key, issuer.certificates)


def test_ec_ed25519_and_pss_chains_validate(pki):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_proxy = pki.user.create_proxy(key=ec_key)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_proxy = ec_proxy.create_proxy(key=ed_key)  # signed with ECDSA
    below_ed = ed_proxy.create_proxy(key=pki.new_key())  # signed with Ed25519
    result = validate(below_ed.certificates, pki.trust)
    assert result.proxy_type is ProxyType.IMPERSONATION and len(result.chain) == 5
    pss = _proxy_signed_with(
        pki,
        pki.user,
        pki.new_key(),
        sign=lambda b: b.sign(
            pki.user.private_key,
            hashes.SHA256(),
            rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH),
        ),
    )
    assert validate(pss.certificates, pki.trust).identity == "/O=Grid/OU=Test/CN=Jane Doe"


def test_weak_ec_curve_is_refused(pki):
    from gridware.security import WeakKeyError

    try:
        proxy = pki.user.create_proxy(key=ec.generate_private_key(ec.SECP192R1()))
    except Exception:  # pragma: no cover - an OpenSSL built without P-192
        pytest.skip("this OpenSSL cannot use P-192")
    with pytest.raises(WeakKeyError, match="192-bit EC"):
        validate(proxy.certificates, pki.trust)
