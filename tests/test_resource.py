"""Resources, resource properties and the in-memory homes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from gridware.codegen.runtime import SimpleTypeError
from gridware.container import faults
from gridware.container.resource import (
    InMemoryResourceHome,
    Resource,
    ResourceProperty,
    SingletonHome,
)


class Job(Resource):
    namespace = "urn:job"
    document = "JobProperties"

    state = ResourceProperty("State", "string", default="Pending", modifiable=True)
    hosts = ResourceProperty("Host", "string", min_occurs=0, max_occurs=4)
    extra = ResourceProperty("Extra", None, min_occurs=0)
    computed = ResourceProperty(
        "Now", "dateTime", getter=lambda r: datetime(2020, 1, 1, tzinfo=UTC)
    )


def test_declarations():
    assert list(Job.properties) == [
        "{urn:job}State",
        "{urn:job}Host",
        "{urn:job}Extra",
        "{urn:job}Now",
    ]
    assert Job.document_tag() == "{urn:job}JobProperties"
    assert Job.properties["{urn:job}Now"].modifiable is False


def test_values_and_elements():
    job = Job("k1", state="Active", hosts=["a", "b"])
    assert job.state == "Active" and job.hosts == ["a", "b"]
    els = Job.state.elements(job)
    assert [(e.tag, e.text) for e in els] == [("{urn:job}State", "Active")]
    assert [e.text for e in Job.hosts.elements(job)] == ["a", "b"]
    assert Job.computed.elements(job)[0].text == "2020-01-01T00:00:00Z"
    extra = etree.Element("{urn:other}Whatever")
    etree.SubElement(extra, "{urn:other}Child").text = "x"
    job.extra = extra
    [el] = Job.extra.elements(job)
    assert el.tag == "{urn:job}Extra" and el[0].text == "x"
    with pytest.raises(SimpleTypeError):
        job.extra = "not an element"
    with pytest.raises(AttributeError):
        job.computed = datetime.now(UTC)
    with pytest.raises(TypeError):
        Job("k2", colour="red")


def test_defaults_are_not_shared():
    a, b = Job("a"), Job("b")
    a.hosts.append("x")
    assert b.hosts == []


def test_assign_checks_occurrences():
    job = Job("k")
    with pytest.raises(SimpleTypeError):
        Job.hosts.assign(job, ["1", "2", "3", "4", "5"])
    with pytest.raises(SimpleTypeError):
        Job.state.assign(job, [])
    Job.hosts.assign(job, [])
    assert job.hosts == []


def test_home_create_find_remove():
    home = InMemoryResourceHome(Job)
    job = home.create(state="Active")
    assert home.find(job.key) is job
    assert len(home) == 1 and list(home.keys()) == [job.key]
    destroyed = []
    home.on_destroy.append(destroyed.append)
    home.destroy(job.key)
    assert destroyed == [job]
    with pytest.raises(faults.ResourceUnknownFault):
        home.find(job.key)
    with pytest.raises(faults.ResourceUnknownFault):
        home.destroy(job.key)


def test_sweep_destroys_only_expired():
    home = InMemoryResourceHome(Job)
    now = datetime.now(UTC)
    old, young, forever, moved = (home.create() for _ in range(4))
    home.set_termination_time(old, now - timedelta(seconds=1))
    home.set_termination_time(young, now + timedelta(hours=1))
    home.set_termination_time(moved, now - timedelta(seconds=1))
    home.set_termination_time(moved, now + timedelta(hours=2))  # rescheduled later
    assert home.sweep(now) == 1
    assert home.get(old.key) is None
    assert {r.key for r in (young, forever, moved)} == set(home.keys())
    assert home.sweep(now + timedelta(hours=3)) == 2
    assert list(home.keys()) == [forever.key]


def test_singleton_home():
    home = SingletonHome(Job)
    assert home.find(None).key is None
    assert home.find("anything") is home.find(None)
    with pytest.raises(faults.ResourceNotDestroyedFault):
        home.destroy(None)
