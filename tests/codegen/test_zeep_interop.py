"""zeep, an independent SOAP toolkit, and our generated types agree on the feature WSDL.

zeep loads ``data/features.wsdl`` from its file path (the WS-Addressing import
by its standard URL comes from the shipped copy: nothing is fetched).  zeep
builds request messages and our generated types read their body; we write
elements and zeep parses them; and for the elements both handle, values make
the whole trip: ours -> XML -> zeep -> XML -> ours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import zeep
from hypothesis import given
from lxml import etree
from zeep.transports import Transport

from gridware import wsdl
from gridware.codegen.runtime.model import NIL, Tagged
from tests.codegen.conftest import feature_values
from tests.codegen.properties import PROPERTY, values_of
from tests.codegen.support import FEATURES_WSDL, RPC, F, O, S, assert_same, f, utc

pytestmark = [
    pytest.mark.interop,
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


class ShippedTransport(Transport):
    """zeep's transport, with standard locations read from gridware/wsdl and no network."""

    def load(self, url: str) -> bytes:
        rel = wsdl.WELL_KNOWN_LOCATIONS.get(url)
        if rel is not None:
            return (wsdl.ROOT / rel).read_bytes()
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"zeep tried to fetch {url}")
        data: bytes = super().load(url)
        return data


@pytest.fixture(scope="module")
def zclient() -> zeep.Client:
    return zeep.Client(str(FEATURES_WSDL), transport=ShippedTransport())


def body(envelope: etree._Element, soap: str = SOAP11) -> etree._Element:
    assert envelope.tag == f"{{{soap}}}Envelope"
    return envelope.find(f"{{{soap}}}Body")[0]


def zeep_render(zclient: zeep.Client, tag: str, value: Any) -> etree._Element:
    holder = etree.Element("holder")
    zclient.get_element(tag).render(holder, value)
    return holder[0]


def zeep_parse(zclient: zeep.Client, el: etree._Element) -> Any:
    return zclient.get_element(el.tag).parse(el, zclient.wsdl.types)


# -- zeep writes, we read -------------------------------------------------------------------


def test_zeep_loads_the_feature_wsdl(zclient):
    services = {s.name: sorted(s.ports) for s in zclient.wsdl.services.values()}
    assert services == {
        "ShopService": ["ShopSoap11Port", "ShopSoap12Port"],
        "AdminService": ["AdminPort"],
    }


def test_zeep_wrapped_request_reads_as_our_arguments(zclient, t):
    shop = zclient.bind("ShopService", "ShopSoap11Port")
    envelope = zclient.create_message(
        shop,
        "placeOrder",
        customer={
            "name": "Ada",
            "email": ["a@example.org", "b@example.org"],
            "address": {"street": ["1 Main St"], "city": "Springfield", "zip": "1234"},
            "middleName": None,
            "id": "c1",
            "source": "http://example.org/c",
            "favourite": "dark-blue",
            "rank": 2,
            "created": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        },
        item=[{"sku": "123-AB"}, {"sku": "456-CD", "other": {"code": "c", "qty": 3}}],
        priority=10,
        when=datetime(2030, 1, 1, tzinfo=UTC),
    )
    # zeep also puts the WS-Addressing headers declared by wsaw:Action
    header = envelope.find(f"{{{SOAP11}}}Header")
    assert header.findtext("{http://www.w3.org/2005/08/addressing}Action") == f"{S}/placeOrder"
    request = body(envelope)
    value = t.ELEMENTS[request.tag].read(request)
    item = t.ELEMENTS[f("Item")].type
    other = t.ELEMENTS[f"{{{O}}}Item"].type
    expected = t.ELEMENTS[f"{{{S}}}placeOrder"].type(
        customer=t.Person(
            name="Ada",
            email=["a@example.org", "b@example.org"],
            address=t.Address(street=["1 Main St"], city="Springfield", zip="1234", country="US"),
            middle_name=None,
            id="c1",
            source="http://example.org/c",
            favourite=t.Color.DARK_BLUE,
            version="1.0",
            lang="en",
            rank=2,
            created=utc(2024, 1, 2, 1, 4, 5),
            revision=0,
        ),
        item=[item(sku="123-AB"), item(sku="456-CD", other=other(code="c", qty=3))],
        priority=t.Priority.V10,
        when=utc(2030, 1, 1),
    )
    assert_same(value, expected)


def test_zeep_bare_request_on_the_soap12_port(zclient, t):
    shop = zclient.bind("ShopService", "ShopSoap12Port")
    envelope = zclient.create_message(
        shop, "describe", name="Bo", middleName="M", nickname=None, id="p", source="s", age=7
    )
    request = body(envelope, SOAP12)
    assert request.tag == f("person")
    value = t.ELEMENTS[request.tag].read(request)
    assert (value.name, value.middle_name, value.age, value.id) == ("Bo", "M", 7, "p")


def test_zeep_xsi_types_read_as_our_derived_classes(zclient, t):
    admin = zclient.bind("AdminService", "AdminPort")
    dog, kitten = zclient.get_type(f("Dog")), zclient.get_type(f("Kitten"))
    employee = zclient.get_type(f("Employee"))
    envelope = zclient.create_message(
        admin,
        "inspectZoo",
        animal=[dog(name="Rex", barks=True), kitten(name="Kit", lives=9, weeks=4, indoor=True)],
        keeper=employee(name="Zed", middleName="Q", id="k", source="s", **{"employee-number": 12}),
    )
    request = body(envelope)
    value = t.ELEMENTS[request.tag].read(request)
    assert_same(
        value.animal,
        [t.Dog(name="Rex", barks=True), t.Kitten(name="Kit", lives=9, weeks=4, indoor=True)],
    )
    assert type(value.keeper) is t.Employee and value.keeper.employee_number == 12


def test_zeep_rpc_request_reads_with_our_rpc_codec(zclient, features):
    t, client = features.types, features.module("client")
    admin = zclient.bind("AdminService", "AdminPort")
    envelope = zclient.create_message(
        admin, "adjust", amount=5, color="class", address={"street": ["s"], "city": "c"}
    )
    request = body(envelope)
    assert request.tag == f"{{{RPC}}}adjust"
    args = client.ADMIN_PORT_TYPE_OPERATIONS["adjust"].input.decode_args(request)
    expected = {
        "amount": 5,
        "color": t.Color.CLASS,
        "address": t.Address(street=["s"], city="c", country="US"),
    }
    assert_same(args, expected)


def test_zeep_renders_built_in_types_we_read(zclient, t):
    builtins = zclient.get_element(f("builtins"))
    value = builtins(
        string=" s ",
        normalizedString="n s",
        token="a b",
        language="en-GB",
        Name="x:y",
        NCName="n",
        NMTOKEN="t",
        NMTOKENS="a b",
        QName=etree.QName("urn:q", "name"),
        anyURI="http://example.org/",
        boolean=True,
        decimal=Decimal("-1.50"),
        float=1.5,
        double=-2.25,
        integer=10**20,
        nonPositiveInteger=-3,
        negativeInteger=-4,
        long=-(2**63),
        int=2**31 - 1,
        short=-5,
        byte=6,
        nonNegativeInteger=7,
        unsignedLong=2**64 - 1,
        unsignedInt=8,
        unsignedShort=9,
        unsignedByte=10,
        positiveInteger=11,
        dateTime=datetime(2004, 4, 12, 13, 20, 0, 500000, tzinfo=timezone(timedelta(hours=-5))),
        date=datetime(2004, 4, 12).date(),
        time=datetime(2004, 4, 12, 13, 20).time(),
        duration="P1DT2H",
        gYear=(2004, None),  # zeep's values of the g* types are tuples
        gYearMonth=(2004, 4, None),
        gMonth=(10, None),  # zeep writes gMonth as "--%d": only two-digit months are valid
        gMonthDay=(4, 12, None),
        gDay=(12, None),
        base64Binary=b"hello",
        hexBinary="0AFF",  # zeep keeps hexBinary as its text
        anySimpleType="any",
    )
    el = zeep_render(zclient, f("builtins"), value)
    ours = t.ELEMENTS[el.tag].read(el)
    assert (ours.string, ours.token, ours.nmtokens, ours.q_name) == (
        " s ",
        "a b",
        ["a", "b"],
        "{urn:q}name",
    )
    assert (ours.decimal, ours.integer, ours.long, ours.unsigned_long) == (
        Decimal("-1.50"),
        10**20,
        -(2**63),
        2**64 - 1,
    )
    assert ours.date_time == utc(2004, 4, 12, 18, 20, 0, 500000)
    assert ours.duration.months == 0 and ours.duration.seconds == 26 * 3600
    assert (ours.base_64_binary, ours.hex_binary, ours.boolean) == (b"hello", b"\n\xff", True)


# -- we write, zeep reads -------------------------------------------------------------------


def test_zeep_reads_what_we_write(zclient, t):
    person = t.Person(
        name="Ada",
        age=36,
        email=["a@example.org"],
        phone=["1", "2"],
        address=t.Address(street=["s1", "s2"], city="c", zip="AB12"),
        middle_name=None,
        nickname="Countess",
        id="p1",
        source="http://example.org/",
        favourite=t.Color.GREEN,
        rank=1,
        created=utc(2020, 5, 6, 7, 8, 9),
    )
    z = zeep_parse(zclient, t.ELEMENTS[f("person")].build(person))
    assert (z.name, z.age, z.email, z.phone) == ("Ada", 36, ["a@example.org"], ["1", "2"])
    assert (z.address.street, z.address.city, z.address.zip) == (["s1", "s2"], "c", "AB12")
    assert (z.middleName, z.nickname, z.id, z.favourite, z.rank) == (
        None,
        "Countess",
        "p1",
        "green",
        1,
    )
    assert z.created == utc(2020, 5, 6, 7, 8, 9)

    zoo = t.Zoo(animal=[t.Cat(name="Tom", lives=9, indoor=False), t.Dog(name="Rex", barks=True)])
    z = zeep_parse(zclient, t.ELEMENTS[f("zoo")].build(zoo))
    assert [type(a).__name__ for a in z.animal] == ["Cat", "Dog"]  # zeep honours our xsi:type
    assert (z.animal[0].lives, z.animal[0].indoor, z.animal[1].barks) == (9, False, True)

    prices = t.Prices(
        price=[t.Price(value=Decimal("12.30"), currency="EUR")],
        taxed=t.TaxedPrice(value=Decimal(5), currency="CHF", rate=8),
        tag=t.Tag(value="hot", weight=3),
    )
    z = zeep_parse(zclient, t.ELEMENTS[f("prices")].build(prices))
    assert (z.price[0]._value_1, z.price[0].currency) == (Decimal("12.30"), "EUR")
    assert (z.taxed._value_1, z.taxed.rate, z.tag._value_1, z.tag.weight) == (
        Decimal(5),
        8,
        "hot",
        3,
    )

    when = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=9)))
    builtins_el = t.ELEMENTS[f("builtins")].build(
        t.ELEMENTS[f("builtins")].read(
            zeep_render(zclient, f("builtins"), _zeep_builtins(zclient, when))
        )
    )
    z = zeep_parse(zclient, builtins_el)
    assert z.dateTime == when  # zeep hands xs:QName element text back unresolved: not compared
    assert (z.decimal, z.hexBinary, z.NMTOKENS) == (Decimal("3.25"), "0102", "x y")


def _zeep_builtins(zclient: zeep.Client, when: datetime) -> Any:
    el = zclient.get_element(f("builtins"))
    values = dict.fromkeys(
        ["string", "normalizedString", "token", "anySimpleType", "anyURI"], "text"
    )
    values |= dict.fromkeys(["Name", "NCName", "NMTOKEN"], "n")
    values |= dict.fromkeys(
        [
            "integer",
            "long",
            "int",
            "short",
            "byte",
            "nonNegativeInteger",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "positiveInteger",
        ],
        1,
    )
    values |= {
        "language": "de",
        "NMTOKENS": "x y",
        "QName": etree.QName("urn:q", "name"),
        "boolean": False,
        "decimal": Decimal("3.25"),
        "float": 0.5,
        "double": 0.25,
        "nonPositiveInteger": 0,
        "negativeInteger": -1,
        "dateTime": when,
        "date": when.date(),
        "time": when.time(),
        "duration": "PT1S",
        "gYear": (2001, None),
        "gYearMonth": (2001, 2, None),
        "gMonth": (11, None),
        "gMonthDay": (2, 3, None),
        "gDay": (3, None),
        "base64Binary": b"\x00",
        "hexBinary": "0102",
    }
    return el(**values)


def test_zeep_reads_substitution_group_heads_and_simple_members(zclient, t):
    z = zeep_parse(zclient, t.ELEMENTS[f("note")].build("plain"))
    assert z == "plain"
    z = zeep_parse(
        zclient, t.ELEMENTS[f("racingBike")].build(t.RacingBike(wheels=2, electric=False, gears=11))
    )
    assert (z.wheels, z.electric, z.gears) == (2, False, 11)


def test_zeep_reads_nil(zclient, t):
    nil = t.ELEMENTS[f("maybe")].build(None)
    assert zeep_parse(zclient, nil) is None
    z = zeep_parse(
        zclient,
        t.ELEMENTS[f("nillables")].build(
            t.Nillables(required=None, optional=NIL, office=t.Address(street=["s"], city="c"))
        ),
    )
    assert (z.required, z.optional, z.office.city) == (None, None, "c")


# -- the whole trip: ours -> XML -> zeep -> XML -> ours --------------------------------------

#: Global elements zeep 4.3 reads and writes faithfully.  Left out, with zeep's reason:
#: substitution groups in content (garage, spares: "Unexpected element"), groups inside
#: choices and repeated groups (contact, properties, history), an empty optional xs:all,
#: empty anyType and nil complex elements (optionalSettings, anyHolder, nillables,
#: endpoints), a falsy value in a choice (payment, document, expr: dropped), mixed
#: content (para, richText), an element named "self" (awkward: TypeError), QName
#: values (zeep writes back undeclared prefixes), gMonth written "--1" (builtins),
#: optional nil and xsi:type of nested derived types (person, zoo, placeOrder), infinite
#: doubles written "inf" (tree).
ZEEP_TRIP = [
    f("tag"),
    f("vehicle"),
    f("car"),
    f("bike"),
    f("racingBike"),
    f("note"),
    f("urgentNote"),
    f("remark"),
    f("wheel"),
    f("shape"),
    f("mixture"),
    f("settings"),
    f("prices"),
    f("extensible"),
    f("openBox"),
    f("listedBox"),
    f("Item"),
    f("derived"),
    f("Widget"),
    f("Element"),
    f("shade"),
    f("section"),
    f("maybe"),
    f("defaults"),
    f("catalog"),
    "{http://www.w3.org/2005/08/addressing}EndpointReference",
    "{http://www.w3.org/2005/08/addressing}ReplyTo",
    "{http://www.w3.org/2005/08/addressing}RelatesTo",
    "{http://www.w3.org/2005/08/addressing}To",
    f"{{{S}}}placeOrderResponse",
    f"{{{S}}}ping",
    f"{{{S}}}OrderFault",
    f"{{{S}}}ZooClosed",
    f"{{{O}}}Item",
    f"{{{O}}}extra",
]


@pytest.fixture(scope="module")
def trip_values(t):
    return feature_values(t)


@pytest.mark.parametrize("tag", ZEEP_TRIP, ids=lambda tag: tag.rpartition("}")[2])
def test_values_survive_a_trip_through_zeep(zclient, t, trip_values, tag):
    element = t.ELEMENTS[tag]
    zelement = zclient.get_element(tag)

    @PROPERTY
    @given(values_of(trip_values, element))
    def check(value: Any) -> None:
        ours = element.build(value)
        parsed = zelement.parse(ours, zclient.wsdl.types)
        holder = etree.Element("holder")
        zelement.render(holder, parsed)
        assert_same(element.read(holder[0]), value)

    check()


def test_tagged_values_of_simple_substitutes_reach_zeep(zclient, t):
    garage = t.Garage(note=Tagged(f("urgentNote"), "now"))
    el = t.ELEMENTS[f("garage")].build(garage)
    assert el[0].tag == f("urgentNote") and el[0].text == "now"
    # zeep parses the member on its own
    assert zeep_parse(zclient, el[0]) == "now"


def test_zeep_sees_our_namespaces(zclient, t):
    item = t.ELEMENTS[f("Item")].type(
        sku="123-AB",
        item=t.ELEMENTS[f"{{{O}}}Item"].type(code="c", qty=1, unit=t.Level.LOW, note="n"),
    )
    el = t.ELEMENTS[f("Item")].build(item)
    inner = el.find(f"{{{O}}}Item")
    assert inner.find("code") is not None  # unqualified, as the imported schema says
    assert inner.get(f"{{{O}}}unit") == "low" and inner.get("note") == "n"
    z = zeep_parse(zclient, el)
    assert (z.sku, z.Item.code, z.Item.qty, z.Item.unit, z.Item.note) == (
        "123-AB",
        "c",
        1,
        "low",
        "n",
    )
    assert F in el.nsmap.values()
