"""wsdl2py on a schema that uses every XML Schema feature it supports.

``data/features.wsdl`` imports ``data/features.xsd``, which includes
``features-common.xsd`` and the chameleon ``chameleon.xsd`` and imports
``other/other.xsd`` (another namespace, unqualified local elements).  The
generated package is written to a temporary directory and imported
(``conftest.py``).  The tests, in order:

- the generated package: files, determinism, names chosen for awkward XML names;
- hand-written documents, one or more per feature: XML -> object gives the exact
  Python values, object -> XML gives the same document, and back;
- invalid documents and invalid objects raise ``BindingError`` naming the path;
- the operations of the WSDL: message codecs, actions, faults;
- property tests (hypothesis): object -> XML -> object for every generated
  class, and what we write validates with an independent validator (xmlschema).

A test marked ``xfail(strict=True)`` shows a known bug of the generator or the
runtime: it starts failing (XPASS) once the bug is fixed.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gridware import wsdl
from gridware.codegen.generator import generate
from gridware.codegen.runtime.model import NIL, BindingError, GlobalElement, Tagged
from gridware.codegen.runtime.simpletypes import Duration, XsdDate
from gridware.container import faults as container_faults
from gridware.container.addressing import EndpointReference
from tests.codegen.conftest import FEATURES_PACKAGE, feature_values
from tests.codegen.properties import check_round_trips, check_valid, values_of
from tests.codegen.support import (
    DATA,
    FEATURES_WSDL,
    FEATURES_XSD,
    RPC,
    XSI,
    F,
    O,
    S,
    assert_same,
    assert_same_xml,
    bound_classes,
    element_tags,
    f,
    forget,
    import_one,
    parse,
    resolve_qnames,
    try_generated,
    utc,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

NS = f'xmlns:f="{F}" xmlns:o="{O}" xmlns:xsi="{XSI}"'
FEATURE_CLASSES = bound_classes(try_generated(str(FEATURES_WSDL), FEATURES_PACKAGE))


def xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def read(t: ModuleType, xml: str) -> Any:
    el = parse(xml)
    return t.ELEMENTS[el.tag].read(el)


def write(t: ModuleType, tag: str, value: Any) -> etree._Element:
    return t.ELEMENTS[tag].build(value)


def round_trip(
    t: ModuleType,
    xml: str,
    expected: Any,
    written: str | None = None,
    qnames: frozenset[str] = frozenset(),
) -> None:
    """XML -> object is ``expected``; object -> XML is ``written`` (default: ``xml``).

    ``qnames`` names the elements and attributes with QName values, compared resolved.
    """
    el = parse(xml)
    element = t.ELEMENTS[el.tag]
    value = element.read(el)
    assert_same(value, expected)
    out = element.build(expected)
    wanted = parse(written if written is not None else xml)
    assert_same_xml(resolve_qnames(out, qnames), resolve_qnames(wanted, qnames))
    assert_same(element.read(out), expected)


# -- the generated package ----------------------------------------------------------------


def test_generation_is_deterministic():
    first = generate(str(FEATURES_WSDL), "again")
    second = generate(str(FEATURES_WSDL), "again")
    assert first.files == second.files
    assert sorted(first.files) == ["__init__.py", "client.py", "faults.py", "server.py", "types.py"]


@pytest.mark.parametrize(
    "module",
    ["types", "faults", "client", "server"],
)
def test_generated_modules_import(features, module):
    assert features.module(module).__name__ == f"{FEATURES_PACKAGE}.{module}"


def test_generated_code_is_ruff_formatted(features):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", "--diff", features.root],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_generated_package_passes_mypy(features):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "--no-incremental",
            str(features.root),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"MYPYPATH": str(features.outdir), "PATH": ""},
        cwd=DATA.parent.parent.parent,
    )
    generated_errors = [line for line in done.stdout.splitlines() if FEATURES_PACKAGE in line]
    assert generated_errors == []


def test_same_local_names_in_two_namespaces_get_two_classes(t):
    ours, theirs = t.ELEMENTS[f("Item")].type, t.ELEMENTS[f"{{{O}}}Item"].type
    assert ours is not theirs and ours.__name__ != theirs.__name__
    assert ours.__binding__.type_name == f("Item")
    assert theirs.__binding__.type_name == f"{{{O}}}Item"
    # a type and an element of the same name, with different content
    widget_element, widget_type = t.ELEMENTS[f("Widget")].type, t.Widget
    assert widget_element is not widget_type
    assert widget_element.__binding__.element_tag == f("Widget")
    assert widget_type.__binding__.type_name == f("Widget")
    # names the module itself uses: Element, and a simple and a complex type "shade"
    assert t.ELEMENTS[f("Element")].type.__name__ != "Element"
    assert t.ELEMENTS[f("Element")].type is not t.Element
    assert t.ELEMENTS[f("shade")].type is not t.Shade
    assert [m.value for m in t.Shade] == ["light", "dark"]


def test_awkward_xml_names_become_python_names(t):
    names = [p.attr for p in t.Awkward.__binding__.content]
    assert names == [
        "class_",
        "from_",
        "lambda_",
        "first_name",
        "first_name2",
        "last_name",
        "to_xml_",
        "self",
        "id",
        "type_",
        "match_",
    ]
    assert [a.attr for a in t.Awkward.__binding__.attributes] == ["id_attr", "class__attr"]
    # the methods of Complex are not shadowed
    assert callable(t.Awkward.to_xml)


def test_enumerations_become_enums(t):
    assert [(m.name, m.value) for m in t.Color] == [
        ("RED", "red"),
        ("GREEN", "green"),
        ("DARK_BLUE", "dark-blue"),
        ("CLASS", "class"),
    ]
    assert [m.name for m in t.Priority] == ["V1", "V2", "V10"]
    assert t.Color.DARK_BLUE == "dark-blue"  # a str enum: usable where text is expected


def test_included_imported_and_chameleon_components(t):
    # the chameleon include takes the including schema's namespace
    assert t.Tag.__binding__.type_name == f("Tag")
    assert f("tag") in t.ELEMENTS
    # the imported namespace keeps its own form defaults
    item = t.ELEMENTS[f"{{{O}}}Item"].type.__binding__
    assert [p.tag for p in item.content] == ["code", f"{{{O}}}qty"]
    assert [a.tag for a in item.attributes] == [f"{{{O}}}unit", "note"]


def test_substitution_member_without_a_type_takes_the_head_type(tmp_path):
    xsd = tmp_path / "subst.xsd"
    xsd.write_text(
        """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t"
             targetNamespace="urn:t" elementFormDefault="qualified">
          <xs:complexType name="Bike"><xs:sequence>
            <xs:element name="gears" type="xs:int"/></xs:sequence></xs:complexType>
          <xs:element name="bike" type="t:Bike"/>
          <xs:element name="racingBike" substitutionGroup="t:bike"/>
        </xs:schema>"""
    )
    pkg = generate(str(xsd), "gw_test_subst")
    try:
        t = import_one(pkg, tmp_path, "types")
        assert t.ELEMENTS["{urn:t}racingBike"].type is t.Bike
    finally:
        forget("gw_test_subst", tmp_path)


# -- documents, feature by feature ----------------------------------------------------------


def test_sequence_optional_lists_attributes_and_groups(t):
    xml = f"""
    <f:person {NS} id="p1" favourite="dark-blue" version="1.0" lang="en-GB" f:rank="3"
              source="http://example.org/people" created="2024-02-29T23:30:00+01:00">
      <f:name>Ada</f:name>
      <f:age>36</f:age>
      <f:email>ada@example.org</f:email>
      <f:email>ada@math.example</f:email>
      <f:phone>1</f:phone><f:phone>2</f:phone><f:phone>3</f:phone>
      <f:address country="GB"><f:street>12 St James's Square</f:street>
        <f:street>Flat 2</f:street><f:city>London</f:city><f:zip>SW1Y</f:zip></f:address>
      <f:middleName xsi:nil="true"/>
      <f:nickname xsi:nil="true"/>
    </f:person>"""
    expected = t.Person(
        name="Ada",
        age=36,
        email=["ada@example.org", "ada@math.example"],
        phone=["1", "2", "3"],
        address=t.Address(
            street=["12 St James's Square", "Flat 2"], city="London", zip="SW1Y", country="GB"
        ),
        middle_name=None,
        nickname=NIL,
        id="p1",
        favourite=t.Color.DARK_BLUE,
        version="1.0",
        lang="en-GB",
        rank=3,
        source="http://example.org/people",
        created=utc(2024, 2, 29, 22, 30),
        revision=0,  # the default of the attribute group's attribute
    )
    written = xml.replace("+01:00", "Z").replace("T23:30", "T22:30")
    written = written.replace('source="http', 'revision="0" source="http')
    round_trip(t, xml, expected, written)
    value = read(t, xml)
    assert value.created.utcoffset() == timedelta(hours=1)  # the time zone as read
    assert value.favourite is t.Color.DARK_BLUE


def test_absent_optional_content_and_defaults(t):
    xml = f'<f:person {NS} id="p2" source="s"><f:name>Bo</f:name><f:middleName>M</f:middleName></f:person>'
    expected = t.Person(
        name="Bo", middle_name="M", id="p2", source="s", version="1.0", lang="en", revision=0
    )
    # absent attributes with a default or a fixed value read as that value
    written = f"""<f:person {NS} id="p2" version="1.0" lang="en" source="s" revision="0">
      <f:name>Bo</f:name><f:middleName>M</f:middleName></f:person>"""
    round_trip(t, xml, expected, written)


def test_complex_content_extension_through_xsi_type(t):
    xml = f"""
    <f:person {NS} xsi:type="f:Manager" id="m" source="s" department="R and D">
      <f:name>Grace</f:name><f:middleName>B</f:middleName>
      <f:employee-number>7</f:employee-number>
      <f:report id="e1" source="s"><f:name>Kay</f:name><f:middleName xsi:nil="true"/>
        <f:employee-number>8</f:employee-number></f:report>
      <f:report xsi:type="f:Manager" id="e2" source="s"><f:name>Lin</f:name>
        <f:middleName>Q</f:middleName><f:employee-number>9</f:employee-number></f:report>
    </f:person>"""
    defaults = {"lang": "en", "revision": 0, "source": "s", "version": "1.0"}
    expected = t.Manager(
        name="Grace",
        middle_name="B",
        employee_number=7,
        id="m",
        department="R and D",
        report=[
            t.Employee(name="Kay", middle_name=None, employee_number=8, id="e1", **defaults),
            t.Manager(name="Lin", middle_name="Q", employee_number=9, id="e2", **defaults),
        ],
        **defaults,
    )
    value = read(t, xml)
    assert type(value) is t.Manager and isinstance(value, t.Person)
    assert_same(value, expected)
    out = write(t, f("person"), expected)
    assert out.get(f"{{{XSI}}}type").endswith(":Manager")
    assert out[3].get(f"{{{XSI}}}type") is None  # the declared type Employee: no xsi:type
    assert out[4].get(f"{{{XSI}}}type").endswith(":Manager")
    assert_same(read(t, etree.tostring(out).decode()), expected)


def test_abstract_type_holds_derived_instances(t):
    xml = f"""
    <f:zoo {NS}>
      <f:animal xsi:type="f:Dog"><f:name>Rex</f:name><f:barks>true</f:barks></f:animal>
      <f:animal xsi:type="f:Cat" indoor="0"><f:name>Tom</f:name><f:lives>9</f:lives></f:animal>
      <f:animal xmlns:other="{F}" xsi:type="other:Kitten"><f:name>Kit</f:name>
        <f:lives>9</f:lives><f:weeks>6</f:weeks></f:animal>
      <f:keeper xsi:type="f:Employee" id="k" source="s"><f:name>Zed</f:name>
        <f:middleName/><f:employee-number>1</f:employee-number></f:keeper>
    </f:zoo>"""
    expected = t.Zoo(
        animal=[
            t.Dog(name="Rex", barks=True),
            t.Cat(name="Tom", lives=9, indoor=False),
            t.Kitten(name="Kit", lives=9, weeks=6),
        ],
        keeper=t.Employee(
            name="Zed",
            middle_name="",
            employee_number=1,
            id="k",
            source="s",
            version="1.0",
            lang="en",
            revision=0,
        ),
    )
    written = xml.replace('indoor="0"', 'indoor="false"').replace(
        'source="s">', 'source="s" version="1.0" lang="en" revision="0">'
    )
    round_trip(t, xml, expected, written)


def test_substitution_groups(t):
    xml = f"""
    <f:garage {NS}>
      <f:car><f:wheels>4</f:wheels><f:seats>5</f:seats></f:car>
      <f:bike><f:wheels>2</f:wheels><f:electric>false</f:electric></f:bike>
      <f:racingBike><f:wheels>2</f:wheels><f:electric>true</f:electric>
        <f:gears>22</f:gears></f:racingBike>
      <f:urgentNote>brakes!</f:urgentNote>
    </f:garage>"""
    expected = t.Garage(
        vehicle=[
            t.Car(wheels=4, seats=5),
            t.Bike(wheels=2, electric=False),
            t.RacingBike(wheels=2, electric=True, gears=22),
        ],
        note=Tagged(f("urgentNote"), "brakes!"),
    )
    round_trip(t, xml, expected)
    # the head of a simple substitution group is a plain value, a member is Tagged
    assert read(t, f"<f:garage {NS}><f:note>n</f:note></f:garage>").note == "n"
    assert read(t, f"<f:garage {NS}><f:remark> a  b </f:remark></f:garage>").note == Tagged(
        f("remark"), "a b"
    )


def test_substitutes_of_the_same_type_keep_their_element_name(t):
    xml = f"""<f:spares {NS}><f:wheel><f:radius>1</f:radius></f:wheel>
      <f:spareWheel><f:radius>2</f:radius></f:spareWheel></f:spares>"""
    expected = t.Spares(
        wheel=[t.Circle(radius=Decimal(1)), Tagged(f("spareWheel"), t.Circle(radius=Decimal(2)))]
    )
    round_trip(t, xml, expected)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            "<f:circle><f:radius>1.5</f:radius></f:circle>",
            lambda t: {"circle": t.Circle(radius=Decimal("1.5"))},
        ),
        ("<f:square>2</f:square>", lambda t: {"square": Decimal(2)}),
        (
            '<f:point x="0" y="0"/><f:point x="1" y="0"/><f:point x="0" y="1"/>',
            lambda t: {"point": [t.Point(x=0, y=0), t.Point(x=1, y=0), t.Point(x=0, y=1)]},
        ),
    ],
    ids=["circle", "square", "points"],
)
def test_choice(t, body, fields):
    xml = f'<f:shape {NS} color="green">{body}</f:shape>'
    round_trip(t, xml, t.Shape(color=t.Color.GREEN, **fields(t)))
    value = read(t, xml.replace(' color="green"', ""))
    assert value.color is t.Color.RED  # the attribute's default
    assert_same_xml(write(t, f("shape"), value), xml.replace(' color="green"', ' color="red"'))


def test_choice_inside_a_sequence(t):
    xml = f"""<f:payment {NS}><f:amount>10.50</f:amount><f:cash/><f:invoice>http://i/1</f:invoice>
      <f:memo>thanks</f:memo></f:payment>"""
    expected = t.Payment(
        amount=Decimal("10.50"), cash=t.Empty(), invoice="http://i/1", memo="thanks"
    )
    round_trip(t, xml, expected)
    value = read(t, f"<f:payment {NS}><f:amount>1</f:amount><f:card>123-AB</f:card></f:payment>")
    assert (value.card, value.iban, value.cash, value.receipt, value.invoice) == (
        "123-AB",
        None,
        None,
        None,
        None,
    )


def test_sequence_inside_a_choice_and_repeating_groups(t):
    contact = f"<f:contact {NS}><f:phone>555</f:phone><f:extension>12</f:extension></f:contact>"
    round_trip(t, contact, t.Contact(items=[Tagged(f("phone"), "555"), Tagged(f("extension"), 12)]))
    props = f"""<f:properties {NS}><f:key>a</f:key><f:value>1</f:value>
      <f:key>b</f:key><f:value></f:value></f:properties>"""
    expected = t.Properties(
        items=[
            Tagged(f("key"), "a"),
            Tagged(f("value"), "1"),
            Tagged(f("key"), "b"),
            Tagged(f("value"), ""),
        ]
    )
    round_trip(t, props, expected)
    mixture = f"""<f:mixture {NS}><f:label>l</f:label><f:number>1</f:number>
      <f:circle><f:radius>2</f:radius></f:circle><f:word>w</f:word></f:mixture>"""
    expected_mixture = t.Mixture(
        label="l",
        items=[Tagged(f("number"), 1), t.Circle(radius=Decimal(2)), Tagged(f("word"), "w")],
    )
    round_trip(t, mixture, expected_mixture)


def test_all_group_in_any_order(t):
    expected = t.Settings(width=3, height=4)
    round_trip(
        t, f"<f:settings {NS}><f:width>3</f:width><f:height>4</f:height></f:settings>", expected
    )
    shuffled = f"<f:settings {NS}><f:height>4</f:height><f:title>T</f:title><f:width>3</f:width></f:settings>"
    assert_same(read(t, shuffled), t.Settings(width=3, height=4, title="T"))
    assert_same(read(t, f"<f:optionalSettings {NS}/>"), t.OptionalSettings())


def test_optional_sequence_is_all_or_nothing(t):
    round_trip(t, f"<f:span {NS}><f:label>l</f:label></f:span>", t.Span(label="l"))
    xml = f"""<f:span {NS}><f:label>l</f:label><f:start>1</f:start><f:note>n</f:note>
      <f:end>2</f:end></f:span>"""
    round_trip(t, xml, t.Span(label="l", start=1, note="n", end=2))
    nil = f"""<f:span {NS}><f:label>l</f:label><f:start>1</f:start>
      <f:end xsi:nil="true"/></f:span>"""
    round_trip(t, nil, t.Span(label="l", start=1, end=NIL))


def test_named_groups_and_attribute_groups(t):
    xml = f"""<f:document {NS} source="urn:s" revision="3" checksum="0A0B0C0D">
      <f:title>T</f:title><f:createdBy>me</f:createdBy><f:feet>3.5</f:feet></f:document>"""
    expected = t.Document(
        title="T", created_by="me", feet=3.5, source="urn:s", revision=3, checksum=b"\n\x0b\x0c\r"
    )
    round_trip(t, xml, expected)
    history = f"""<f:history {NS}><f:createdBy>a</f:createdBy>
      <f:createdAt>2001-01-01T00:00:00Z</f:createdAt><f:createdBy>b</f:createdBy></f:history>"""
    expected_history = t.History(
        items=[
            Tagged(f("createdBy"), "a"),
            Tagged(f("createdAt"), utc(2001, 1, 1)),
            Tagged(f("createdBy"), "b"),
        ]
    )
    round_trip(t, history, expected_history)


def test_simple_content_extension_and_restriction(t):
    xml = f"""<f:prices {NS}>
      <f:price currency="EUR">12.30</f:price><f:price currency="GBP">-0.01</f:price>
      <f:small currency="USD">99.99</f:small>
      <f:taxed currency="CHF" rate="8">100</f:taxed>
      <f:tag weight="5">hot  deal</f:tag>
    </f:prices>"""
    expected = t.Prices(
        price=[
            t.Price(value=Decimal("12.30"), currency="EUR"),
            t.Price(value=Decimal("-0.01"), currency="GBP"),
        ],
        small=t.SmallPrice(value=Decimal("99.99"), currency="USD"),
        taxed=t.TaxedPrice(value=Decimal(100), currency="CHF", rate=8),
        tag=t.Tag(value="hot deal", weight=5),
    )
    round_trip(t, xml, expected, xml.replace("hot  deal", "hot deal"))
    assert isinstance(expected.taxed, t.Price)  # extension: a Python subclass
    no_rate = read(
        t,
        f'<f:prices {NS}><f:price currency="EUR">1</f:price><f:taxed currency="EUR">2</f:taxed></f:prices>',
    )
    assert no_rate.taxed.rate == 20  # the default


def test_mixed_content(t):
    xml = f"""<f:para {NS} lang="en">Hello <f:b>big</f:b> world, see <f:link href="http://x/">x</f:link>!</f:para>"""
    expected = t.Paragraph(
        lang="en",
        content=[
            "Hello ",
            Tagged(f("b"), "big"),
            " world, see ",
            Tagged(f("link"), t.Link(value="x", href="http://x/")),
            "!",
        ],
    )
    round_trip(t, xml, expected)
    assert_same(read(t, f"<f:para {NS}/>"), t.Paragraph())


def test_mixed_content_with_a_wildcard(t):
    xml = f'<f:richText {NS} xmlns:w="urn:w">a<f:em>b</f:em>c<w:x>d</w:x>e</f:richText>'
    el = parse(xml)
    value = t.ELEMENTS[el.tag].read(el)
    assert_same_xml(t.ELEMENTS[el.tag].build(value), xml)


def test_wildcards(t):
    ext = f"""<f:extensible {NS} xmlns:w="urn:w" w:flag="1"><f:id>7</f:id>
      <w:a>1</w:a><o:extra>2</o:extra><f:tail>end</f:tail></f:extensible>"""
    value = read(t, ext)
    assert value.id == 7 and value.tail == "end"
    assert [el.tag for el in value.any] == ["{urn:w}a", f"{{{O}}}extra"]
    assert value.any_attributes == {"{urn:w}flag": "1"}
    assert_same_xml(write(t, f("extensible"), value), ext)

    box = f'<f:openBox {NS} anything="goes" f:too="yes"><f:person id="nested"/></f:openBox>'
    value = read(t, box)
    assert value.any.tag == f("person")  # kept as lxml, not bound: processContents="skip"
    assert value.any_attributes == {"anything": "goes", f("too"): "yes"}
    assert_same_xml(write(t, f("openBox"), value), box)

    listed = f"""<f:listedBox {NS} xmlns:a="urn:a" a:x="1" y="2"><a:one/><local/><f:own/></f:listedBox>"""
    value = read(t, listed)
    assert [el.tag for el in value.any] == ["{urn:a}one", "local"]
    assert value.any2.tag == f("own")
    assert value.any_attributes == {"{urn:a}x": "1", "y": "2"}
    assert_same_xml(write(t, f("listedBox"), value), listed)


def test_any_type_elements_are_kept_as_lxml(t):
    xml = f"""<f:anyHolder {NS}><f:payload kind="k"><deep><er>text</er></deep>tail</f:payload>
      </f:anyHolder>"""
    value = read(t, xml)
    assert isinstance(value.payload, etree._Element) and value.maybe is None
    assert value.payload.get("kind") == "k" and value.payload.findtext("deep/er") == "text"
    assert_same_xml(write(t, f("anyHolder"), value), xml)


WSA = "http://www.w3.org/2005/08/addressing"


def test_endpoint_references(t):
    xml = f"""<f:endpoints {NS} xmlns:wsa="{WSA}">
      <f:service><wsa:Address>http://example.org/s</wsa:Address>
        <wsa:ReferenceParameters><f:key>1</f:key></wsa:ReferenceParameters></f:service>
      <wsa:EndpointReference><wsa:Address>http://example.org/a</wsa:Address></wsa:EndpointReference>
      <f:backup><wsa:Address>http://example.org/b</wsa:Address></f:backup>
    </f:endpoints>"""
    value = read(t, xml)
    assert isinstance(value.service, EndpointReference)
    assert value.service.address == "http://example.org/s"
    assert value.service.reference(f("key")) == "1"
    assert [e.address for e in value.endpoint_reference] == ["http://example.org/a"]
    assert value.backup == EndpointReference("http://example.org/b")
    assert_same_xml(write(t, f("endpoints"), value), xml)


def test_nil_endpoint_reference_and_nil_any_type(t):
    xml = f"""<f:endpoints {NS} xmlns:wsa="{WSA}"><f:service><wsa:Address>http://s</wsa:Address>
      </f:service><f:backup xsi:nil="true"/></f:endpoints>"""
    assert read(t, xml).backup is None
    holder = f'<f:anyHolder {NS}><f:payload/><f:maybe xsi:nil="true"/></f:anyHolder>'
    assert read(t, holder).maybe is NIL


def test_qualified_and_unqualified_local_elements(t):
    xml = f"""<f:Item {NS} o:flag="true"><f:sku>123-AB</f:sku>
      <o:Item o:unit="high" note="n"><code>c</code><o:qty>1</o:qty></o:Item>
      <f:other><code>d</code><o:qty>2</o:qty></f:other></f:Item>"""
    item = t.ELEMENTS[f"{{{O}}}Item"].type
    expected = t.ELEMENTS[f("Item")].type(
        sku="123-AB",
        item=item(code="c", qty=1, unit=t.Level.HIGH, note="n"),
        other=item(code="d", qty=2),
        flag=True,
    )
    round_trip(t, xml, expected)
    derived = f"""<f:derived {NS} o:baseAttr="1"><baseField>b</baseField>
      <f:derivedField>low</f:derivedField><local>l</local></f:derived>"""
    round_trip(
        t, derived, t.Derived(base_field="b", base_attr=1, derived_field=t.Level.LOW, local="l")
    )
    assert issubclass(t.Derived, t.Base)  # extension across namespaces


def test_python_keywords_and_odd_names(t):
    xml = f"""<f:awkward {NS} id="attr" class="c-attr"><f:class>c</f:class><f:from>f</f:from>
      <f:first-name>a</f:first-name><f:firstName>b</f:firstName><f:last.name>l</f:last.name>
      <f:to_xml>x</f:to_xml><f:self>s</f:self><f:id>elem</f:id><f:type>t</f:type>
      <f:match>m</f:match></f:awkward>"""
    expected = t.Awkward(
        class_="c",
        from_="f",
        first_name="a",
        first_name2="b",
        last_name="l",
        to_xml_="x",
        self="s",
        id="elem",
        type_="t",
        match_="m",
        id_attr="attr",
        class__attr="c-attr",
    )
    round_trip(t, xml, expected)
    assert expected.to_xml(f("awkward")).startswith(b"<?xml")  # still the method
    widget = f"<f:Widget {NS}><f:label>w</f:label><f:inner><f:size>2</f:size></f:inner></f:Widget>"
    cls = t.ELEMENTS[f("Widget")].type
    round_trip(t, widget, cls(label="w", inner=t.Widget(size=2)))


def test_recursive_types(t):
    tree = f"""<f:tree {NS} weight="0.5"><f:label>root</f:label>
      <f:child><f:label>a</f:label><f:child weight="-INF"><f:label>a1</f:label></f:child></f:child>
      <f:child><f:label>b</f:label></f:child></f:tree>"""
    expected = t.TreeNode(
        label="root",
        weight=0.5,
        child=[
            t.TreeNode(label="a", child=[t.TreeNode(label="a1", weight=float("-inf"))]),
            t.TreeNode(label="b"),
        ],
    )
    round_trip(t, tree, expected)
    expr = f"""<f:expr {NS}><f:sum><f:term><f:num>1</f:num></f:term><f:term><f:sum>
      <f:term><f:num>-2</f:num></f:term><f:term><f:num>3</f:num></f:term></f:sum></f:term>
      </f:sum></f:expr>"""
    e = t.Expr
    expected_expr = e(
        sum=t.Sum(term=[e(num=1), e(sum=t.Sum(term=[e(num=-2), e(num=3)]))]),
    )
    round_trip(t, expr, expected_expr)
    section = f"""<f:section {NS}><f:heading>1</f:heading><f:section><f:heading>1.1</f:heading>
      </f:section></f:section>"""
    s = t.ELEMENTS[f("section")].type
    round_trip(t, section, s(heading="1", section=[s(heading="1.1")]))


def test_nillable_elements(t):
    xml = f"""<f:nillables {NS}><f:required xsi:nil="true"/><f:optional xsi:nil="1"/>
      <f:home xsi:nil="true"/><f:office><f:street>s</f:street><f:city>c</f:city></f:office>
      </f:nillables>"""
    expected = t.Nillables(
        required=None,
        optional=NIL,
        home=NIL,
        office=t.Address(street=["s"], city="c", country="US"),
    )
    round_trip(
        t,
        xml,
        expected,
        xml.replace('xsi:nil="1"', 'xsi:nil="true"').replace(
            "<f:office>", '<f:office country="US">'
        ),
    )
    absent = read(
        t, f'<f:nillables {NS}><f:required>1</f:required><f:office xsi:nil="true"/></f:nillables>'
    )
    assert (absent.required, absent.optional, absent.home, absent.office) == (1, None, None, None)
    # a global nillable element
    assert read(t, f'<f:maybe {NS} xsi:nil="true"/>') is None
    assert write(t, f("maybe"), None).get(f"{{{XSI}}}nil") == "true"
    assert read(t, f"<f:maybe {NS}>4</f:maybe>") == 4


def test_nil_items_of_lists_are_none(t):
    xml = f"""<f:nilScores {NS}><f:optional xsi:nil="true"/><f:optional>1</f:optional>
      <f:required xsi:nil="true"/></f:nilScores>"""
    round_trip(t, xml, t.NilScores(optional=[None, 1], required=[None]))


def test_defaults_and_fixed_values(t):
    xml = f"<f:defaults {NS}><f:count>2</f:count><f:schema>v2</f:schema></f:defaults>"
    expected = t.Defaults(count=2, schema="v2", mode=t.Color.DARK_BLUE, format="xml")
    round_trip(
        t, xml, expected, xml.replace("<f:defaults ", '<f:defaults mode="dark-blue" format="xml" ')
    )


def test_empty_elements_take_their_default(t):
    value = read(t, f"<f:defaults {NS}><f:unit/><f:count/><f:schema/><f:shade/></f:defaults>")
    assert (value.unit, value.count, value.schema, value.shade) == ("kg", 1, "v2", t.Color.GREEN)


def test_derived_simple_types(t):
    xml = f"""<f:simples {NS} color="red" ints="1 -2" sku="000-ZZ" percent="-5">
      <f:color>class</f:color><f:priority>10</f:priority><f:ratio>1.25</f:ratio>
      <f:sku> 123-AB </f:sku><f:percent>100</f:percent><f:smallPercent>9</f:smallPercent>
      <f:temperature>-273.14</f:temperature><f:code>ab c</f:code><f:shortName>x</f:shortName>
      <f:money>123456.78</f:money><f:digest>DEADBEEF</f:digest>
      <f:stamp>2000-01-01T00:00:00Z</f:stamp><f:ints> 1  2
      3 </f:ints><f:colors>red dark-blue</f:colors><f:shortInts></f:shortInts>
      <f:counts>0 9</f:counts><f:percentOrAuto>auto</f:percentOrAuto>
      <f:when>2020-02-29</f:when><f:level>high</f:level><f:inline>off</f:inline>
    </f:simples>"""
    expected = t.Simples(
        color=t.Color.CLASS,
        priority=t.Priority.V10,
        ratio=t.Ratio.V1_25,
        sku="123-AB",
        percent=100,
        small_percent=9,
        temperature=Decimal("-273.14"),
        code="ab c",
        short_name="x",
        money=Decimal("123456.78"),
        digest=b"\xde\xad\xbe\xef",
        stamp=utc(2000, 1, 1),
        ints=[1, 2, 3],
        colors=[t.Color.RED, t.Color.DARK_BLUE],
        short_ints=[],
        counts=[0, 9],
        percent_or_auto=t.PercentOrAutoMember.AUTO,
        when=date(2020, 2, 29),
        level=t.Level.HIGH,
        inline=t.Inline.OFF,
        color_attr=t.Color.RED,
        ints_attr=[1, -2],
        sku_attr="000-ZZ",
        percent_attr=-5,
    )
    written = xml.replace(" 123-AB ", "123-AB").replace(" 1  2\n      3 ", "1 2 3")
    round_trip(t, xml, expected, written)
    union = read(t, xml.replace(">auto<", ">42<").replace(">2020-02-29<", ">2020-02-29T12:00:00Z<"))
    assert union.percent_or_auto == 42 and union.when == utc(2020, 2, 29, 12)


def test_decimal_enumeration_compares_values(t):
    assert t.ELEMENTS[f("simples")].type.__binding__  # the type exists
    assert t.RATIO_TYPE.read("1.250", None) is t.Ratio.V1_25


def test_qnames_resolve_prefixes_both_ways(t):
    xml = f"""<f:qnames {NS} xmlns:a="urn:a" xmlns="urn:default" ref="a:r" refs="a:x f:y z">
      <f:name>a:n</f:name><f:names> f:one  o:two </f:names><f:more>plain</f:more></f:qnames>"""
    expected = t.QNames(
        name="{urn:a}n",
        names=[f("one"), f"{{{O}}}two"],
        more=["{urn:default}plain"],
        ref="{urn:a}r",
        refs=["{urn:a}x", f("y"), "{urn:default}z"],
    )
    assert_same(read(t, xml), expected)
    out = write(t, f("qnames"), expected)
    back = t.ELEMENTS[f("qnames")].read(parse(etree.tostring(out).decode()))  # prefixes survive
    assert_same(back, expected)
    # an unqualified QName stays unqualified when written (no default namespace is declared)
    plain = t.QNames(name="local", names=[], ref="r")
    out = write(t, f("qnames"), plain)
    assert out.find(f("name")).text == "local" and out.get("ref") == "r"
    assert_same(t.ELEMENTS[f("qnames")].read(out), plain)


def test_qnames_in_the_xml_namespace(t):
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    value = t.QNames(name=xml_lang, names=[xml_lang])
    out = write(t, f("qnames"), value)
    assert out.findtext(f("name")) == "xml:lang"
    assert_same(read(t, etree.tostring(out).decode()), value)


def test_qname_enumeration_with_another_prefix(t):
    xml = f'<f:qnameEnums xmlns:f="{F}" xmlns:x="{F}"><f:choice>x:alpha</f:choice></f:qnameEnums>'
    round_trip(t, xml, t.QNameEnums(choice=[f("alpha")]), qnames={f("choice")})


def test_qname_member_of_a_union(t):
    xml = f"<f:qnameUnion {NS}><f:value>7</f:value><f:value>o:beta</f:value></f:qnameUnion>"
    round_trip(t, xml, t.QNameUnion(value=[7, f"{{{O}}}beta"]), qnames={f("value")})


BUILTINS_XML = f"""<f:builtins {NS} xmlns:q="urn:q" qname="q:attr" when="2004-04-12T13:20:00-05:00"
    day="2004-04-12Z" flags=" a  b " o:flag="1">
  <f:string> keep  this&#13;
 </f:string>
  <f:normalizedString>a&#9;b&#10;c</f:normalizedString>
  <f:token>  a
   b  </f:token>
  <f:language>en-GB</f:language><f:Name>x:y</f:Name><f:NCName>n.c-1</f:NCName>
  <f:NMTOKEN>-1</f:NMTOKEN><f:NMTOKENS>a b</f:NMTOKENS><f:QName>q:name</f:QName>
  <f:anyURI> http://example.org/a%20b </f:anyURI><f:boolean>0</f:boolean>
  <f:decimal>+001.500</f:decimal><f:float>-INF</f:float><f:double>1e-3</f:double>
  <f:integer>-123456789012345678901234567890</f:integer>
  <f:nonPositiveInteger>-0</f:nonPositiveInteger><f:negativeInteger>-1</f:negativeInteger>
  <f:long>-9223372036854775808</f:long><f:int>2147483647</f:int><f:short>-32768</f:short>
  <f:byte>+127</f:byte><f:nonNegativeInteger>0</f:nonNegativeInteger>
  <f:unsignedLong>18446744073709551615</f:unsignedLong><f:unsignedInt>4294967295</f:unsignedInt>
  <f:unsignedShort>65535</f:unsignedShort><f:unsignedByte>255</f:unsignedByte>
  <f:positiveInteger>1</f:positiveInteger>
  <f:dateTime>2004-04-12T13:20:00.25+05:30</f:dateTime><f:date>2004-04-12-05:00</f:date>
  <f:time>13:20:00.5Z</f:time><f:duration>-P1Y2M3DT4H5M6.5S</f:duration>
  <f:gYear>2004</f:gYear><f:gYearMonth>2004-04Z</f:gYearMonth><f:gMonth>--04</f:gMonth>
  <f:gMonthDay>--04-12</f:gMonthDay><f:gDay>---12+01:00</f:gDay>
  <f:base64Binary>aGVs
bG8=</f:base64Binary><f:hexBinary>0aFf</f:hexBinary><f:anySimpleType> as is </f:anySimpleType>
</f:builtins>"""

BUILTINS_WRITTEN = f"""<f:builtins {NS} xmlns:q="urn:q" qname="q:attr" when="2004-04-12T18:20:00Z"
    day="2004-04-12Z" flags="a b" o:flag="true">
  <f:string> keep  this&#13;
 </f:string>
  <f:normalizedString>a b c</f:normalizedString><f:token>a b</f:token>
  <f:language>en-GB</f:language><f:Name>x:y</f:Name><f:NCName>n.c-1</f:NCName>
  <f:NMTOKEN>-1</f:NMTOKEN><f:NMTOKENS>a b</f:NMTOKENS><f:QName>q:name</f:QName>
  <f:anyURI>http://example.org/a%20b</f:anyURI><f:boolean>false</f:boolean>
  <f:decimal>1.500</f:decimal><f:float>-INF</f:float><f:double>0.001</f:double>
  <f:integer>-123456789012345678901234567890</f:integer>
  <f:nonPositiveInteger>0</f:nonPositiveInteger><f:negativeInteger>-1</f:negativeInteger>
  <f:long>-9223372036854775808</f:long><f:int>2147483647</f:int><f:short>-32768</f:short>
  <f:byte>127</f:byte><f:nonNegativeInteger>0</f:nonNegativeInteger>
  <f:unsignedLong>18446744073709551615</f:unsignedLong><f:unsignedInt>4294967295</f:unsignedInt>
  <f:unsignedShort>65535</f:unsignedShort><f:unsignedByte>255</f:unsignedByte>
  <f:positiveInteger>1</f:positiveInteger>
  <f:dateTime>2004-04-12T07:50:00.25Z</f:dateTime><f:date>2004-04-12-05:00</f:date>
  <f:time>13:20:00.5Z</f:time><f:duration>-P1Y2M3DT4H5M6.5S</f:duration>
  <f:gYear>2004</f:gYear><f:gYearMonth>2004-04Z</f:gYearMonth><f:gMonth>--04</f:gMonth>
  <f:gMonthDay>--04-12</f:gMonthDay><f:gDay>---12+01:00</f:gDay>
  <f:base64Binary>aGVsbG8=</f:base64Binary><f:hexBinary>0AFF</f:hexBinary>
  <f:anySimpleType> as is </f:anySimpleType>
</f:builtins>"""


def test_built_in_types_lexical_forms(t):
    minus5 = timezone(timedelta(hours=-5))
    expected = t.Builtins(
        string=" keep  this\r\n ",
        normalized_string="a b c",
        token="a b",
        language="en-GB",
        name="x:y",
        nc_name="n.c-1",
        nmtoken="-1",
        nmtokens=["a", "b"],
        q_name="{urn:q}name",
        any_uri="http://example.org/a%20b",
        boolean=False,
        decimal=Decimal("1.500"),
        float_=float("-inf"),
        double=0.001,
        integer=-123456789012345678901234567890,
        non_positive_integer=0,
        negative_integer=-1,
        long=-(2**63),
        int_=2**31 - 1,
        short=-(2**15),
        byte=127,
        non_negative_integer=0,
        unsigned_long=2**64 - 1,
        unsigned_int=2**32 - 1,
        unsigned_short=2**16 - 1,
        unsigned_byte=255,
        positive_integer=1,
        date_time=utc(2004, 4, 12, 7, 50, 0, 250000),
        date_=XsdDate(2004, 4, 12, minus5),
        time_=time(13, 20, 0, 500000, tzinfo=UTC),
        duration=Duration(-14, -Decimal("273906.5")),
        g_year="2004",
        g_year_month="2004-04Z",
        g_month="--04",
        g_month_day="--04-12",
        g_day="---12+01:00",
        base_64_binary=b"hello",
        hex_binary=b"\n\xff",
        any_simple_type=" as is ",
        qname="{urn:q}attr",
        when=utc(2004, 4, 12, 18, 20),
        day=XsdDate(2004, 4, 12, UTC),
        flags=["a", "b"],
        flag=True,
    )
    round_trip(t, BUILTINS_XML, expected, BUILTINS_WRITTEN, qnames={"qname", f("QName")})
    value = read(t, BUILTINS_XML)
    assert value.date_time.utcoffset() == timedelta(hours=5, minutes=30)
    assert value.date_.tz == minus5 and value.time_.tzinfo == UTC
    assert isinstance(value.duration, Duration)


def test_date_time_without_a_time_zone_is_read_as_utc(t):
    xml = BUILTINS_XML.replace("2004-04-12T13:20:00.25+05:30", "2004-04-12T13:20:00")
    assert read(t, xml).date_time == utc(2004, 4, 12, 13, 20)


def test_ids_and_idrefs(t):
    xml = f"""<f:catalog {NS}><f:entry key="a">A</f:entry><f:entry key="b">B</f:entry>
      <f:favourite>b</f:favourite><f:related>a  b</f:related></f:catalog>"""
    entry = t.CatalogEntry
    expected = t.Catalog(
        entry=[entry(value="A", key="a"), entry(value="B", key="b")],
        favourite="b",
        related=["a", "b"],
    )
    round_trip(t, xml, expected, xml.replace("a  b", "a b"))


def test_class_level_api(t):
    widget = t.ELEMENTS[f("Widget")].type(label="w", inner=t.Widget(size=1))
    el = widget.to_element()  # a class of a global element knows its tag
    assert el.tag == f("Widget")
    assert_same(type(widget).from_element(el), widget)
    data = widget.to_xml(pretty=True)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert_same(type(widget).from_xml(data), widget)
    assert_same(type(widget).from_xml(data.decode()), widget)
    with pytest.raises(BindingError, match="type"):
        t.Widget(size=1).to_element()  # a named type needs the element tag
    assert t.Widget(size=1).to_element(f("inner")).tag == f("inner")
    dog = t.Animal.from_element(
        parse(f'<f:pet {NS} xsi:type="f:Dog"><f:name>d</f:name><f:barks>0</f:barks></f:pet>')
    )
    assert_same(dog, t.Dog(name="d", barks=False))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<f:Widget", ["XML"]),
        (
            b'<!DOCTYPE x [<!ENTITY e "boom">]><f:Widget xmlns:f="'
            + F.encode()
            + b'">&e;</f:Widget>',
            ["DOCTYPE"],
        ),
    ],
    ids=["malformed", "DTD and entities"],
)
def test_from_xml_refuses_bad_documents(t, data, words):
    with pytest.raises(BindingError) as info:
        t.ELEMENTS[f("Widget")].type.from_xml(data)
    for word in words:
        assert word.lower() in str(info.value).lower()


def test_global_element_checks_the_root_tag(t):
    with pytest.raises(BindingError, match="expected <person>, found <zoo>"):
        t.ELEMENTS[f("person")].read(parse(f"<f:zoo {NS}/>"))


# -- invalid documents --------------------------------------------------------------------

PERSON = f'<f:person {NS} id="p" source="s"><f:name>x</f:name>{{}}<f:middleName/></f:person>'


def case(name: str, *args: Any, marks: Any = ()) -> Any:
    return pytest.param(*args, id=name, marks=marks)


def person(inner: str = "", attrs: str = "") -> str:
    return PERSON.format(inner).replace(' id="p"', f' id="p"{attrs}')


INVALID_DOCUMENTS = [
    # case(id, document, words the message must contain: the path first)
    case("wrong text", person("<f:age>old</f:age>"), ["person/age", "'old'", "unsignedByte"]),
    case("out of range", person("<f:age>256</f:age>"), ["person/age", "256", "out of range"]),
    case(
        "missing element",
        f'<f:person {NS} id="p" source="s"><f:name>x</f:name></f:person>',
        ["person", "middleName"],
    ),
    case(
        "unexpected element",
        person().replace("<f:middleName/>", "<f:middleName/><f:bogus/>"),
        ["person", "unexpected element <bogus>"],
    ),
    case("unknown attribute", person(attrs=' bogus="1"'), ["person", "unexpected attribute bogus"]),
    case(
        "missing attribute",
        PERSON.format("").replace(' source="s"', ""),
        ["person", "missing attribute source"],
    ),
    case("bad attribute", person(attrs=' favourite="blue"'), ["person", "favourite", "'blue'"]),
    case("fixed attribute", person(attrs=' version="2"'), ["person", "version", "'1.0'"]),
    case(
        "enumeration",
        f"<f:shade {NS}><f:shade>grey</f:shade></f:shade>",
        ["shade/shade", "'grey'", "light"],
    ),
    case(
        "pattern",
        f'<f:prices {NS}><f:price currency="eur">1</f:price></f:prices>',
        ["prices/price", "currency", "'eur'", "pattern", "Currency"],
    ),
    case(
        "pattern with a hyphen before a class",
        f"<f:Item {NS}><f:sku>12-AB</f:sku></f:Item>",
        ["Item/sku", "'12-AB'", "pattern", "Sku"],
    ),
    case(
        "length",
        person(
            "<f:address><f:street>s</f:street><f:city>c</f:city><f:zip>toolong</f:zip></f:address>"
        ),
        ["person/address/zip", "'toolong'", "length 4"],
    ),
    case(
        "facet of a derived type",
        person().replace("<f:name>x</f:name>", "<f:name>much too long</f:name>"),
        ["person/name", "longer than 8"],
    ),
    case(
        "fraction digits",
        f"<f:payment {NS}><f:amount>1.234</f:amount><f:iban>x</f:iban></f:payment>",
        ["payment/amount", "fraction digits"],
    ),
    case(
        "list item",
        f"<f:qnames {NS}><f:name>n</f:name><f:names>a:b</f:names></f:qnames>",
        ["qnames/names", "unbound namespace prefix 'a'"],
    ),
    case(
        "abstract type without xsi:type",
        f"<f:zoo {NS}><f:animal><f:name>x</f:name></f:animal></f:zoo>",
        ["zoo/animal", "abstract"],
    ),
    case(
        "unknown xsi:type",
        f'<f:zoo {NS}><f:animal xsi:type="f:Unicorn"><f:name>x</f:name></f:animal></f:zoo>',
        ["zoo/animal", "Unicorn"],
    ),
    case(
        "unrelated xsi:type",
        f'<f:zoo {NS}><f:animal xsi:type="f:Person"><f:name>x</f:name></f:animal></f:zoo>',
        ["zoo/animal", "Person", "Animal"],
    ),
    case(
        "xsi:type with an unbound prefix",
        f'<f:zoo {NS}><f:animal xsi:type="zz:Dog"><f:name>x</f:name></f:animal></f:zoo>',
        ["zoo/animal", "xsi:type", "'zz'"],
    ),
    case(
        "deep path",
        f'<f:zoo {NS}><f:animal xsi:type="f:Cat"><f:name>x</f:name><f:lives>200</f:lives></f:animal></f:zoo>',
        ["zoo/animal/lives", "200"],
    ),
    case(
        "text in element-only content",
        f'<f:person {NS} id="p" source="s">text<f:name>x</f:name><f:middleName/></f:person>',
        ["person", "text"],
    ),
    case(
        "text between elements of element-only content",
        person("text"),
        ["person", "text"],
    ),
    case(
        "children in simple content",
        f'<f:prices {NS}><f:price currency="EUR"><f:x/></f:price></f:prices>',
        ["prices/price", "child elements"],
    ),
    case(
        "nil with content",
        f'<f:nillables {NS}><f:required xsi:nil="true">1</f:required><f:office/></f:nillables>',
        ["nillables/required", "nil"],
    ),
    case(
        "nil on a non-nillable element",
        person('<f:age xsi:nil="true"/>'),
        ["person/age", "unsignedByte"],
    ),
    case(
        "twice in xs:all",
        f"<f:settings {NS}><f:width>1</f:width><f:width>1</f:width><f:height>1</f:height></f:settings>",
        ["settings", "width", "twice"],
    ),
    case(
        "wildcard namespace",
        f"<f:extensible {NS}><f:id>1</f:id><f:own/></f:extensible>",
        ["extensible", "unexpected element <own>"],
    ),
    case(
        "attribute wildcard namespace",
        f'<f:extensible {NS} plain="1"><f:id>1</f:id></f:extensible>',
        ["extensible", "plain"],
    ),
    case(
        "missing wildcard element",
        f"<f:openBox {NS}/>",
        ["openBox", "wildcard"],
    ),
    case(
        "mixed content: undeclared element",
        f"<f:para {NS}>a<f:u>b</f:u></f:para>",
        ["para", "<u>"],
    ),
    case("wrong root", f"<f:zoo {NS}/>".replace("zoo", "tree"), ["tree", "label"]),
    case(
        "too many occurrences",
        person("".join("<f:phone>1</f:phone>" for _ in range(4))),
        ["person", "phone"],
    ),
    case(
        "empty required choice",
        f"<f:expr {NS}/>",
        ["expr", "num", "sum"],
    ),
    case(
        "required choice not chosen",
        f"<f:payment {NS}><f:amount>1</f:amount></f:payment>",
        ["payment", "card"],
    ),
    case(
        "fewer than minOccurs in a choice branch",
        f'<f:shape {NS}><f:point x="1" y="1"/><f:point x="2" y="2"/></f:shape>',
        ["shape", "point"],
    ),
    case(
        "partial optional xs:all",
        f"<f:optionalSettings {NS}><f:depth>1</f:depth></f:optionalSettings>",
        ["optionalSettings", "unit"],
    ),
    case(
        "partial optional sequence",
        f"<f:span {NS}><f:label>l</f:label><f:start>1</f:start><f:note>n</f:note></f:span>",
        ["span", "<end>"],
    ),
    case(
        "optional sequence without its first element",
        f"<f:span {NS}><f:label>l</f:label><f:end>1</f:end></f:span>",
        ["span", "<end>"],
    ),
    case(
        "too many in a repeating choice",
        f"<f:mixture {NS}><f:label>l</f:label>{'<f:number>1</f:number>' * 5}</f:mixture>",
        ["mixture", "number"],
    ),
    case(
        "sequence inside a choice: second element alone",
        f"<f:contact {NS}><f:extension>1</f:extension></f:contact>",
        ["contact", "extension"],
    ),
    case(
        "repeating sequence out of order",
        f"<f:properties {NS}><f:value>1</f:value><f:key>a</f:key></f:properties>",
        ["properties", "value"],
    ),
    case(
        "incomplete repeating sequence",
        f"<f:properties {NS}><f:key>a</f:key><f:value>1</f:value><f:key>b</f:key></f:properties>",
        ["properties", "incomplete", "<key>"],
    ),
    case(
        "abstract head element",
        f'<f:garage {NS}><f:vehicle xsi:type="f:Car"><f:wheels>4</f:wheels><f:seats>1</f:seats></f:vehicle></f:garage>',
        ["garage", "vehicle", "abstract"],
    ),
    case(
        "fixed element value",
        f"<f:defaults {NS}><f:count>1</f:count><f:schema>v3</f:schema></f:defaults>",
        ["defaults/schema", "v2"],
    ),
    case(
        "XML Schema whitespace is only space, tab, CR, LF",
        f"<f:settings {NS}><f:width>\u00a01</f:width><f:height>1</f:height></f:settings>",
        ["settings/width", "'\\xa01'"],  # the message shows the NBSP escaped
    ),
]


@pytest.mark.parametrize(("document", "words"), INVALID_DOCUMENTS)
def test_invalid_documents_raise_binding_errors_naming_the_path(t, document, words):
    with pytest.raises(BindingError) as info:
        read(t, document)
    message = str(info.value)
    assert message.startswith(words[0]), message
    for word in words[1:]:
        assert word in message, message


# -- invalid objects ----------------------------------------------------------------------


def _person(t: ModuleType, **fields: Any) -> Any:
    values: dict[str, Any] = {"name": "x", "middle_name": None, "id": "p", "source": "s"}
    return t.Person(**{**values, **fields})


INVALID_OBJECTS = [
    # case(id, global element, value maker, words the message must contain: the path first)
    case("missing element", "person", lambda t: _person(t, name=None), ["person", "<name>"]),
    case("missing attribute", "person", lambda t: _person(t, source=None), ["person", "source"]),
    case("wrong Python type", "person", lambda t: _person(t, age="9"), ["person/age", "int"]),
    case("out of range", "person", lambda t: _person(t, age=256), ["person/age", "256"]),
    case("bool is not an int", "person", lambda t: _person(t, age=True), ["person/age", "bool"]),
    case(
        "enumeration",
        "person",
        lambda t: _person(t, favourite="blue"),
        ["person", "favourite", "'blue'"],
    ),
    case(
        "facet of a derived type",
        "person",
        lambda t: _person(t, name="much too long"),
        ["person/name", "longer than 8"],
    ),
    case(
        "pattern",
        "prices",
        lambda t: t.Prices(price=[t.Price(value=Decimal(1), currency="eur")]),
        ["prices/price", "currency", "pattern"],
    ),
    case(
        "too many",
        "person",
        lambda t: _person(t, phone=["1", "2", "3", "4"]),
        ["person", "phone", "3"],
    ),
    case("not a list", "person", lambda t: _person(t, email="a@b"), ["person", "email", "list"]),
    case(
        "two alternatives of a choice",
        "shape",
        lambda t: t.Shape(circle=t.Circle(radius=Decimal(1)), square=Decimal(1)),
        ["shape", "circle", "square"],
    ),
    case(
        "an object of the wrong class",
        "zoo",
        lambda t: t.Zoo(animal=[_person(t)]),
        ["zoo/animal", "Animal", "Person"],
    ),
    case(
        "a wildcard holding text",
        "extensible",
        lambda t: t.Extensible(id=1, any=["<x/>"]),
        ["extensible", "any", "str"],
    ),
    case(
        "an element name outside the substitution group",
        "garage",
        lambda t: t.Garage(vehicle=[Tagged(f("boat"), t.Car(wheels=1, seats=1))]),
        ["garage", "boat", "vehicle"],
    ),
    case(
        "fraction digits",
        "payment",
        lambda t: t.Payment(amount=Decimal("0.001"), iban="x"),
        ["payment/amount", "fraction digits"],
    ),
    case(
        "decimal from a float",
        "payment",
        lambda t: t.Payment(amount=0.5, iban="x"),
        ["payment/amount", "float"],
    ),
    case(
        "a QName in prefix form",
        "qnames",
        lambda t: t.QNames(name="a:b", names=[]),
        ["qnames/name", "'a:b'"],
    ),
    case(
        "a QName whose local part is not an NCName",
        "qnames",
        lambda t: t.QNames(name="{urn:q}1st", names=[]),
        ["qnames/name", "1st"],
    ),
    case(
        "characters XML cannot carry",
        "person",
        lambda t: _person(t, nickname="nul\x00"),
        ["person/nickname"],
    ),
    case(
        "an instance of an abstract type",
        "zoo",
        lambda t: t.Zoo(animal=[t.Animal(name="generic")]),
        ["zoo/animal", "abstract"],
    ),
    case(
        "a fixed attribute with another value",
        "person",
        lambda t: _person(t, version="2.0"),
        ["person", "version", "1.0"],
    ),
    case(
        "a fixed element with another value",
        "defaults",
        lambda t: t.Defaults(count=1, schema="v3"),
        ["defaults/schema", "v2"],
    ),
    case("empty required choice", "expr", lambda t: t.Expr(), ["expr"]),
    case(
        "fewer than minOccurs in a choice branch",
        "shape",
        lambda t: t.Shape(point=[t.Point(x=0, y=0)]),
        ["shape", "point"],
    ),
    case(
        "partial optional xs:all",
        "optionalSettings",
        lambda t: t.OptionalSettings(depth=1),
        ["optionalSettings", "unit"],
    ),
    case(
        "partial optional sequence",
        "span",
        lambda t: t.Span(label="l", start=1),
        ["span", "<end>"],
    ),
    case(
        "optional sequence without its first element",
        "span",
        lambda t: t.Span(label="l", note="n", end=1),
        ["span", "<start>"],
    ),
    case(
        "repeating sequence out of order",
        "properties",
        lambda t: t.Properties(items=[Tagged(f("value"), "1"), Tagged(f("key"), "a")]),
        ["properties", "<value>"],
    ),
    case(
        "incomplete repeating sequence",
        "properties",
        lambda t: t.Properties(items=[Tagged(f("key"), "a")]),
        ["properties", "incomplete", "<key>"],
    ),
    case(
        "sequence inside a choice: second element alone",
        "contact",
        lambda t: t.Contact(items=[Tagged(f("extension"), 1)]),
        ["contact", "<extension>"],
    ),
    case(
        "too many in a repeating choice",
        "mixture",
        lambda t: t.Mixture(label="l", items=[Tagged(f("number"), 1)] * 5),
        ["mixture", "items", "4"],
    ),
    case(
        "abstract head element",
        "garage",
        lambda t: t.Garage(vehicle=[Tagged(f("vehicle"), t.Car(wheels=4, seats=1))]),
        ["garage", "vehicle", "abstract"],
    ),
    case(
        "a duration with months and seconds of opposite signs",
        "builtins",
        lambda t: None,
        ["builtins/duration"],
    ),
    case(
        "a dateTime that leaves the datetime range in UTC",
        "builtins",
        lambda t: None,
        ["builtins/dateTime"],
    ),
    case(
        "an empty NMTOKENS",
        "builtins",
        lambda t: None,
        ["builtins/NMTOKENS"],
    ),
]


def _builtins(t: ModuleType, case_id: str) -> Any:
    value = read(t, BUILTINS_XML)
    if case_id.startswith("a duration"):
        value.duration = Duration(1, Decimal(-1))
    elif case_id.startswith("a dateTime"):
        value.date_time = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    else:
        value.nmtokens = []
    return value


@pytest.mark.parametrize(("local", "make", "words"), INVALID_OBJECTS)
def test_invalid_objects_raise_binding_errors_naming_the_path(t, request, local, make, words):
    value = make(t)
    if value is None:
        value = _builtins(t, request.node.callspec.id)
    with pytest.raises(BindingError) as info:
        write(t, f(local), value)
    message = str(info.value)
    assert message.startswith(words[0]), message
    for word in words[1:]:
        assert word in message, message


@pytest.mark.parametrize(
    ("field", "value", "normalized"),
    [
        ("token", "  two  spaces ", "two spaces"),
        ("normalized_string", "new\nline", "new line"),
        ("language", " en ", "en"),
    ],
)
def test_whitespace_restricted_strings_are_rejected_or_normalized(t, field, value, normalized):
    """A value outside the type's value space is refused, or written in its normal form."""
    builtins = read(t, BUILTINS_XML)
    setattr(builtins, field, value)
    try:
        out = write(t, f("builtins"), builtins)
    except BindingError:
        return
    back = getattr(t.ELEMENTS[f("builtins")].read(out), field)
    assert back == normalized


# -- operations, messages and faults ------------------------------------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The package of a variant of the WSDL: the SOAP 1.2 shop binding only (no rpc)."""
    doc = etree.parse(str(FEATURES_WSDL))
    root = doc.getroot()
    w = "{http://schemas.xmlsoap.org/wsdl/}"
    for path in (
        f"{w}binding[@name='ShopSoap11Binding']",
        f"{w}binding[@name='AdminBinding']",
        f"{w}portType[@name='AdminPortType']",
        f"{w}service[@name='AdminService']",
        f"{w}service/{w}port[@name='ShopSoap11Port']",
    ):
        for el in root.findall(path):
            el.getparent().remove(el)
    for imp in root.iter("{http://www.w3.org/2001/XMLSchema}import"):
        imp.set("schemaLocation", str(FEATURES_XSD))
    outdir = tmp_path_factory.mktemp("shop")
    wsdl = outdir / "shop.wsdl"
    doc.write(str(wsdl))
    package = "gw_test_shop"
    try:
        yield SimpleNamespace(
            types=import_one(generate(str(wsdl), package), outdir, "types"),
            client=import_one(generate(str(wsdl), package), outdir, "client"),
            faults=import_one(generate(str(wsdl), package), outdir, "faults"),
            server=import_one(generate(str(wsdl), package), outdir, "server"),
        )
    finally:
        forget(package, outdir)


def _customer(t: ModuleType) -> Any:
    return t.Person(
        name="Ada", middle_name=None, id="c1", source="s", version="1.0", lang="en", revision=0
    )


def test_document_literal_wrapped_operation(shop):
    t, ops = shop.types, shop.client.SHOP_PORT_TYPE_OPERATIONS
    op = ops["placeOrder"]
    assert (op.name, op.action, op.output_action) == (
        "placeOrder",
        f"{S}/placeOrder",  # wsaw:Action (WS-Addressing WSDL binding, 2006/05)
        f"{S}/placeOrderResponse",
    )
    args = {
        "customer": _customer(t),
        "item": [t.ELEMENTS[f("Item")].type(sku="123-AB")],
        "priority": t.Priority.V2,
        "when": utc(2030, 1, 1),
    }
    request = op.input.encode(args)
    assert request.tag == f"{{{S}}}placeOrder"
    assert [etree.QName(c).localname for c in request] == ["customer", "item", "priority", "when"]
    assert request.findtext(f"{{{S}}}priority") == "2"
    assert_same(op.input.decode_args(request), args)
    response = op.output.encode_result(42)
    assert_same_xml(
        response,
        f'<s:placeOrderResponse xmlns:s="{S}"><s:orderId>42</s:orderId></s:placeOrderResponse>',
    )
    assert op.output.decode_result(response) == 42


def test_wrapped_operation_with_parameters_left_out(shop):
    t, op = shop.types, shop.client.SHOP_PORT_TYPE_OPERATIONS["placeOrder"]
    item = t.FeaturesItem(sku="123-AB")
    request = op.input.encode(
        {"customer": _customer(t), "item": [item], "priority": None, "when": None}
    )
    assert request.find(f"{{{S}}}priority") is None
    assert len(request.findall(f"{{{S}}}item")) == 1
    # a list parameter left at the proxy's default None is an empty list: <item> is required
    with pytest.raises(BindingError, match="<item> is required"):
        op.input.encode({"customer": _customer(t), "item": None, "priority": None, "when": None})


def test_document_literal_bare_and_one_way_operations(shop):
    t, ops = shop.types, shop.client.SHOP_PORT_TYPE_OPERATIONS
    describe = ops["describe"]
    assert describe.action == f"{S}/describe"  # from soapAction: no wsa:Action in the WSDL
    assert describe.output_action == f"{S}:ShopPortType:describeResponse"  # the default pattern
    request = describe.input.encode({"who": _customer(t)})
    assert request.tag == f("person")
    assert_same(describe.input.decode_args(request), {"who": _customer(t)})
    tree = t.TreeNode(label="r", child=[t.TreeNode(label="c")])
    reply = describe.output.encode_result(tree)
    assert reply.tag == f("tree")
    assert_same(describe.output.decode_result(reply), tree)
    ping = ops["ping"]
    assert ping.output is None  # one-way
    assert ping.input.encode({"message": "hi"}).findtext(f"{{{S}}}message") == "hi"


def test_clients_of_a_soap12_binding(shop):
    client = shop.client
    for cls in (client.ShopPortTypeClient, client.ShopPortTypeAsyncClient):
        assert cls.soap_version == "1.2"
        assert cls.addressing == "2005/08"
        assert cls.default_address == "http://127.0.0.1:8080/wsrf/services/ShopService12"
        assert cls.operations is client.SHOP_PORT_TYPE_OPERATIONS
    assert list(client.SHOP_PORT_TYPE_OPERATIONS) == ["placeOrder", "describe", "ping"]
    sig = inspect.signature(client.ShopPortTypeClient.placeOrder)
    assert list(sig.parameters) == ["self", "customer", "item", "priority", "when"]
    assert inspect.iscoroutinefunction(client.ShopPortTypeAsyncClient.placeOrder)


def test_declared_faults_carry_typed_details(shop):
    t, faults = shop.types, shop.faults
    detail = t.OrderFault(reason=t.Color.RED, sku="123-AB")
    fault = faults.ServiceOrderFault("no stock", value=detail)
    el = fault.to_detail(None)
    assert el.tag == f"{{{S}}}OrderFault"
    assert el.findtext(f"{{{S}}}reason") == "red"
    # the client side: the proxy turns the received fault into its declared class
    proxy = shop.client.ShopPortTypeClient("http://127.0.0.1:9/unused")
    assert proxy.fault_classes == {f"{{{S}}}OrderFault": faults.ServiceOrderFault}
    received = proxy._typed(
        container_faults.Fault.from_detail(etree.fromstring(etree.tostring(el)))
    )
    assert type(received) is faults.ServiceOrderFault
    assert_same(received.detail_value, detail)
    # a detail that does not fit the declared element gives no typed value
    odd = etree.fromstring(f'<s:OrderFault xmlns:s="{S}"><s:reason>blue</s:reason></s:OrderFault>')
    assert proxy._typed(container_faults.Fault.from_detail(odd)).detail_value is None


def test_server_stubs_have_typed_operations(shop):
    server, ops = shop.server, shop.client.SHOP_PORT_TYPE_OPERATIONS
    stub = server.ShopPortTypeService
    assert stub.namespace == S and stub.port_type == "ShopPortType"
    method = stub.placeOrder
    assert method.__gridware_operation__["binding"] is ops["placeOrder"]
    params = inspect.signature(method).parameters
    assert list(params) == ["self", "context", "customer", "item", "priority", "when"]
    assert params["customer"].annotation == "Person"
    with pytest.raises(NotImplementedError):
        stub.describe(None, None, who=None)


def test_rpc_literal_operation(features):
    t, admin = features.types, features.module("client").ADMIN_PORT_TYPE_OPERATIONS
    op = admin["adjust"]
    address = t.Address(street=["s"], city="c", country="US")
    args = {"amount": 5, "color": t.Color.DARK_BLUE, "address": address}
    request = op.input.encode(args)
    # the wrapper in the soap:body namespace, the part accessors unqualified
    assert request.tag == f"{{{RPC}}}adjust"
    assert [c.tag for c in request] == ["amount", "color", "address"]
    assert [request.findtext("amount"), request.findtext("color")] == ["5", "dark-blue"]
    assert request.find("address").findtext(f("city")) == "c"
    assert_same(op.input.decode_args(request), args)
    reply = op.output.encode_result(7)
    assert reply.tag == f"{{{RPC}}}adjustResponse" and reply.findtext("result") == "7"
    assert op.output.decode_result(reply) == 7


def test_gt4_addressing_dialect_and_bare_output(features):
    client = features.module("client")
    t, op = features.types, client.ADMIN_PORT_TYPE_OPERATIONS["inspectZoo"]
    # wsa:Action in the 2004/03 namespace (GT4): the proxy speaks that dialect
    assert op.action == "http://gridware.org/test/Admin/inspectZoo"
    assert op.output_action == "http://gridware.org/test/Admin/inspectZooResponse"
    assert client.AdminPortTypeClient.addressing == "2004/03"
    assert client.ShopPortTypeClient.soap_version == "1.1"  # the first binding of the port type
    garage = t.Garage(vehicle=[t.Car(wheels=4, seats=2)])
    assert_same(op.output.decode_result(op.output.encode_result(garage)), garage)
    zoo = t.Zoo(animal=[t.Dog(name="d", barks=False)])
    assert_same(op.input.decode_args(op.input.encode({"zoo": zoo})), {"zoo": zoo})


# -- properties: object -> XML -> object, and validity -----------------------------------

#: Classes whose round trip fails on a known bug.
ROUND_TRIP_BUGS: dict[str, pytest.MarkDecorator] = {}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=ROUND_TRIP_BUGS.get(n, ())) for n in FEATURE_CLASSES]
)
def test_every_class_round_trips(t, values, name):
    cls = getattr(t, name)
    b = cls.__binding__
    tag = b.element_tag or b.type_name or f("anonymous")
    # an abstract class is written as the derived classes, with xsi:type
    strategy = values.instance(cls, exact=not b.abstract)
    check_round_trips(GlobalElement(tag, cls), strategy, failing=name in ROUND_TRIP_BUGS)


def test_complex_content_restriction_through_xsi_type(t):
    xml = f"""<f:zoo {NS}><f:animal xsi:type="f:Dog"><f:name>d</f:name><f:barks>1</f:barks>
      </f:animal><f:home xsi:type="f:DomesticAddress" country="US"><f:street>s</f:street>
      <f:city>c</f:city></f:home></f:zoo>"""
    expected = t.Zoo(
        animal=[t.Dog(name="d", barks=True)],
        home=t.DomesticAddress(street="s", city="c", country="US"),
    )
    assert_same(read(t, xml), expected)  # reading works
    round_trip(t, xml, expected, xml.replace("<f:barks>1<", "<f:barks>true<"))


def test_restrictions_round_trip_where_their_base_is_expected(t):
    values = feature_values(t, restrictions=True)
    check_round_trips(t.ELEMENTS[f("zoo")], values.instance(t.Zoo, exact=True))


@pytest.fixture(scope="session")
def schemas() -> dict[str, xmlschema.XMLSchema]:
    """An independent validator for each namespace of the feature WSDL."""
    mapper = {url: str(wsdl.ROOT / rel) for url, rel in wsdl.WELL_KNOWN_LOCATIONS.items()}
    features = xmlschema.XMLSchema(str(FEATURES_XSD), uri_mapper=mapper, allow="local")
    wsdl_doc = etree.parse(str(FEATURES_WSDL))
    inline = wsdl_doc.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    service = xmlschema.XMLSchema(
        etree.tostring(inline).decode(), base_url=str(DATA) + "/", uri_mapper=mapper, allow="local"
    )
    return {F: features, O: features, WSA: features, S: service}


#: Global elements whose generated values are not always valid, because of a known bug.
VALIDITY_BUGS: dict[str, pytest.MarkDecorator] = {}


FEATURE_ELEMENTS = element_tags(try_generated(str(FEATURES_WSDL), FEATURES_PACKAGE))


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param(tag, id=tag.rpartition("}")[2], marks=VALIDITY_BUGS.get(tag, ()))
        for tag in FEATURE_ELEMENTS
    ],
)
def test_what_we_write_validates(t, values, schemas, tag):
    element = t.ELEMENTS[tag]
    schema = schemas[tag[1:].partition("}")[0]]
    if tag in (f("vehicle"),):
        pytest.skip("an abstract element: never written")
    check_valid(schema, element, values_of(values, element), failing=tag in VALIDITY_BUGS)
