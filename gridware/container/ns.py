"""Namespace URIs of the standards the container speaks."""

from typing import Final

SOAP11_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV: Final = "http://www.w3.org/2003/05/soap-envelope"

XSD: Final = "http://www.w3.org/2001/XMLSchema"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
XML: Final = "http://www.w3.org/XML/1998/namespace"

WSDL: Final = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP11: Final = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_SOAP12: Final = "http://schemas.xmlsoap.org/wsdl/soap12/"

WSA_2004_03: Final = "http://schemas.xmlsoap.org/ws/2004/03/addressing"
WSA_2004_08: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSA_2005_08: Final = "http://www.w3.org/2005/08/addressing"

# OASIS WSRF 1.2
WSRF_RP: Final = "http://docs.oasis-open.org/wsrf/rp-2"
WSRF_RPW: Final = "http://docs.oasis-open.org/wsrf/rpw-2"
WSRF_RL: Final = "http://docs.oasis-open.org/wsrf/rl-2"
WSRF_RLW: Final = "http://docs.oasis-open.org/wsrf/rlw-2"
WSRF_BF: Final = "http://docs.oasis-open.org/wsrf/bf-2"
WSRF_R: Final = "http://docs.oasis-open.org/wsrf/r-2"
WSRF_SG: Final = "http://docs.oasis-open.org/wsrf/sg-2"
WSRF_SGW: Final = "http://docs.oasis-open.org/wsrf/sgw-2"

# WSRF 1.2 draft-01 (2004/06), as used by Globus Toolkit 4
_DRAFT: Final = "http://docs.oasis-open.org/wsrf/2004/06/"
GT4_RP: Final = _DRAFT + "wsrf-WS-ResourceProperties-1.2-draft-01.xsd"
GT4_RPW: Final = _DRAFT + "wsrf-WS-ResourceProperties-1.2-draft-01.wsdl"
GT4_RL: Final = _DRAFT + "wsrf-WS-ResourceLifetime-1.2-draft-01.xsd"
GT4_RLW: Final = _DRAFT + "wsrf-WS-ResourceLifetime-1.2-draft-01.wsdl"
GT4_BF: Final = _DRAFT + "wsrf-WS-BaseFaults-1.2-draft-01.xsd"
GT4_SG: Final = _DRAFT + "wsrf-WS-ServiceGroup-1.2-draft-01.xsd"
GT4_SGW: Final = _DRAFT + "wsrf-WS-ServiceGroup-1.2-draft-01.wsdl"

# OASIS WS-Notification 1.3: WS-BaseNotification and WS-Topics
WSN_B: Final = "http://docs.oasis-open.org/wsn/b-2"
WSN_BW: Final = "http://docs.oasis-open.org/wsn/bw-2"
WSN_T: Final = "http://docs.oasis-open.org/wsn/t-1"

# WS-Notification 1.2 draft-01 (2004/06), as used by Globus Toolkit 4
GT4_WSN_B: Final = "http://docs.oasis-open.org/wsn/2004/06/wsn-WS-BaseNotification-1.2-draft-01.xsd"
GT4_WSN_T: Final = "http://docs.oasis-open.org/wsn/2004/06/wsn-WS-Topics-1.2-draft-01.xsd"

XPATH_DIALECT: Final = "http://www.w3.org/TR/1999/REC-xpath-19991116"

GRIDWARE: Final = "urn:gridware:container"
