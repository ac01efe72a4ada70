"""What gridware.security.wssec writes validates against the WS-Security, XML-DSig and
XML-Enc schemas (the OASIS and W3C files shipped in gridware/wsdl), checked by xmlschema."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from gridware import wsdl
from gridware.security.wssec import encrypt_body, sign
from gridware.security.wssec.ns import DS, WSSE, WSU, XENC, XML
from tests.security.wssec_messages import one, request, security


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    def shipped(name: str) -> str:
        return wsdl.path(f"schemas/wss/{name}").as_uri()

    wrapper = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        targetNamespace="urn:gridware:tests:wssec">
      <xsd:import namespace="{WSSE}"
          schemaLocation="{shipped("oasis-200401-wss-wssecurity-secext-1.0.xsd")}"/>
      <xsd:import namespace="{XENC}" schemaLocation="{shipped("xenc-schema.xsd")}"/>
    </xsd:schema>"""
    locations = [
        (WSU, shipped("oasis-200401-wss-wssecurity-utility-1.0.xsd")),
        (DS, shipped("xmldsig-core-schema.xsd")),
        (XML, wsdl.path("schemas/soap/xml.xsd").as_uri()),
    ]
    return xmlschema.XMLSchema(wrapper, locations=locations)


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
@pytest.mark.parametrize("depth", [0, 2])
def test_signed_security_header_validates(pki, schema, soap, depth):
    credential = pki.user
    for _ in range(depth):
        credential = pki.proxy(credential)
    envelope = request(soap)
    sign(envelope, credential, must_understand=True)
    schema.validate(etree.tostring(security(envelope)).decode())


@pytest.mark.parametrize("key_identifier", ["issuer-serial", "thumbprint"])
@pytest.mark.parametrize("algorithm", ["aes256-cbc", "aes128-gcm"])
def test_encrypted_message_validates(pki, schema, key_identifier, algorithm):
    host = pki.ca.issue_host("localhost", key=pki.new_key())
    envelope = request()
    sign(envelope, pki.proxy())
    encrypt_body(envelope, host.certificate, algorithm=algorithm, key_identifier=key_identifier)
    schema.validate(etree.tostring(security(envelope)).decode())
    schema.validate(etree.tostring(one(envelope, "//xenc:EncryptedData")).decode())


def test_the_schemas_do_check_the_signature(pki, schema):
    """The check above is not vacuous: a broken ds:Signature fails it."""
    envelope = request()
    sign(envelope, pki.user)
    signature = one(envelope, "//ds:Signature")
    signature.remove(signature[0])  # no SignedInfo
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(etree.tostring(security(envelope)).decode())
