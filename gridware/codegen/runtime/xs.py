"""The XML Schema built-in simple types, as constants for generated code."""

from gridware.codegen.runtime.simpletypes import SIMPLE_TYPES, SimpleType

ENTITIES: SimpleType = SIMPLE_TYPES["ENTITIES"]
ENTITY: SimpleType = SIMPLE_TYPES["ENTITY"]
ID: SimpleType = SIMPLE_TYPES["ID"]
IDREF: SimpleType = SIMPLE_TYPES["IDREF"]
IDREFS: SimpleType = SIMPLE_TYPES["IDREFS"]
NC_NAME: SimpleType = SIMPLE_TYPES["NCName"]
NMTOKEN: SimpleType = SIMPLE_TYPES["NMTOKEN"]
NMTOKENS: SimpleType = SIMPLE_TYPES["NMTOKENS"]
NOTATION: SimpleType = SIMPLE_TYPES["NOTATION"]
NAME: SimpleType = SIMPLE_TYPES["Name"]
Q_NAME: SimpleType = SIMPLE_TYPES["QName"]
ANY_SIMPLE_TYPE: SimpleType = SIMPLE_TYPES["anySimpleType"]
ANY_TYPE: SimpleType = SIMPLE_TYPES["anyType"]
ANY_URI: SimpleType = SIMPLE_TYPES["anyURI"]
BASE_64_BINARY: SimpleType = SIMPLE_TYPES["base64Binary"]
BOOLEAN: SimpleType = SIMPLE_TYPES["boolean"]
BYTE: SimpleType = SIMPLE_TYPES["byte"]
DATE: SimpleType = SIMPLE_TYPES["date"]
DATE_TIME: SimpleType = SIMPLE_TYPES["dateTime"]
DECIMAL: SimpleType = SIMPLE_TYPES["decimal"]
DOUBLE: SimpleType = SIMPLE_TYPES["double"]
DURATION: SimpleType = SIMPLE_TYPES["duration"]
FLOAT: SimpleType = SIMPLE_TYPES["float"]
G_DAY: SimpleType = SIMPLE_TYPES["gDay"]
G_MONTH: SimpleType = SIMPLE_TYPES["gMonth"]
G_MONTH_DAY: SimpleType = SIMPLE_TYPES["gMonthDay"]
G_YEAR: SimpleType = SIMPLE_TYPES["gYear"]
G_YEAR_MONTH: SimpleType = SIMPLE_TYPES["gYearMonth"]
HEX_BINARY: SimpleType = SIMPLE_TYPES["hexBinary"]
INT: SimpleType = SIMPLE_TYPES["int"]
INTEGER: SimpleType = SIMPLE_TYPES["integer"]
LANGUAGE: SimpleType = SIMPLE_TYPES["language"]
LONG: SimpleType = SIMPLE_TYPES["long"]
NEGATIVE_INTEGER: SimpleType = SIMPLE_TYPES["negativeInteger"]
NON_NEGATIVE_INTEGER: SimpleType = SIMPLE_TYPES["nonNegativeInteger"]
NON_POSITIVE_INTEGER: SimpleType = SIMPLE_TYPES["nonPositiveInteger"]
NORMALIZED_STRING: SimpleType = SIMPLE_TYPES["normalizedString"]
POSITIVE_INTEGER: SimpleType = SIMPLE_TYPES["positiveInteger"]
SHORT: SimpleType = SIMPLE_TYPES["short"]
STRING: SimpleType = SIMPLE_TYPES["string"]
TIME: SimpleType = SIMPLE_TYPES["time"]
TOKEN: SimpleType = SIMPLE_TYPES["token"]
UNSIGNED_BYTE: SimpleType = SIMPLE_TYPES["unsignedByte"]
UNSIGNED_INT: SimpleType = SIMPLE_TYPES["unsignedInt"]
UNSIGNED_LONG: SimpleType = SIMPLE_TYPES["unsignedLong"]
UNSIGNED_SHORT: SimpleType = SIMPLE_TYPES["unsignedShort"]

#: XSD local name -> constant name, used by the generator.
CONSTANTS: dict[str, str] = {
    "ENTITIES": "ENTITIES",
    "ENTITY": "ENTITY",
    "ID": "ID",
    "IDREF": "IDREF",
    "IDREFS": "IDREFS",
    "NCName": "NC_NAME",
    "NMTOKEN": "NMTOKEN",
    "NMTOKENS": "NMTOKENS",
    "NOTATION": "NOTATION",
    "Name": "NAME",
    "QName": "Q_NAME",
    "anySimpleType": "ANY_SIMPLE_TYPE",
    "anyType": "ANY_TYPE",
    "anyURI": "ANY_URI",
    "base64Binary": "BASE_64_BINARY",
    "boolean": "BOOLEAN",
    "byte": "BYTE",
    "date": "DATE",
    "dateTime": "DATE_TIME",
    "decimal": "DECIMAL",
    "double": "DOUBLE",
    "duration": "DURATION",
    "float": "FLOAT",
    "gDay": "G_DAY",
    "gMonth": "G_MONTH",
    "gMonthDay": "G_MONTH_DAY",
    "gYear": "G_YEAR",
    "gYearMonth": "G_YEAR_MONTH",
    "hexBinary": "HEX_BINARY",
    "int": "INT",
    "integer": "INTEGER",
    "language": "LANGUAGE",
    "long": "LONG",
    "negativeInteger": "NEGATIVE_INTEGER",
    "nonNegativeInteger": "NON_NEGATIVE_INTEGER",
    "nonPositiveInteger": "NON_POSITIVE_INTEGER",
    "normalizedString": "NORMALIZED_STRING",
    "positiveInteger": "POSITIVE_INTEGER",
    "short": "SHORT",
    "string": "STRING",
    "time": "TIME",
    "token": "TOKEN",
    "unsignedByte": "UNSIGNED_BYTE",
    "unsignedInt": "UNSIGNED_INT",
    "unsignedLong": "UNSIGNED_LONG",
    "unsignedShort": "UNSIGNED_SHORT",
}
