"""Persistent homes on SQLite and on a real PostgreSQL server: state, lifetimes, schema, locks.

Every test runs on both backends; reopening a store is what a container restart does.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from lxml import etree

from gridware.container import Resource, ResourceProperty
from gridware.container.faults import ResourceNotDestroyedFault, ResourceUnknownFault
from gridware.container.persistence import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    PersistenceError,
    ResourceStore,
    resources,
    schema_versions,
)
from gridware.container.resource import current_identity
from gridware.services.samples.counter import Counter

NS = "http://example.org/persist"


class Sample(Resource):
    """Every kind of property the stored XML must carry, and plain attributes."""

    namespace = NS
    document = "SampleProperties"

    count = ResourceProperty("Count", "int", default=0, modifiable=True)
    name = ResourceProperty("Name", "string", min_occurs=0)
    tags = ResourceProperty("Tag", "string", min_occurs=0, max_occurs=None, default=["new"])
    when = ResourceProperty("When", "dateTime", nillable=True)
    ratio = ResourceProperty("Ratio", "double", min_occurs=0)
    amount = ResourceProperty("Amount", "decimal", min_occurs=0)
    flag = ResourceProperty("Flag", "boolean", min_occurs=0)
    data = ResourceProperty("Data", "base64Binary", min_occurs=0)
    topic = ResourceProperty("Topic", "QName", min_occurs=0)
    blob = ResourceProperty("Blob", None, min_occurs=0)
    doubled = ResourceProperty("Doubled", "int", getter=lambda r: r.count * 2)

    persistent_attributes: ClassVar[tuple[str, ...]] = (
        "consumer",
        "paused",
        "filters",
        "message_xml",
    )
    paused = False  # class-level default, used when never set

    def restored(self) -> None:
        self.queue: list[str] = []  # transient state rebuilt after a load
        self.restored_calls = getattr(self, "restored_calls", 0) + 1


class Special(Sample):
    persistent_attributes: ClassVar[tuple[str, ...]] = ("extra",)


def reopen(open_store: Any, cls: type[Resource] = Sample, service: str = "Samples") -> Any:
    return open_store().home(service, cls)


def test_a_counter_survives_a_restart(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    counter = home.create()
    counter.value = 42
    home.save(counter)
    store.close()
    home = open_store().home("CounterService", Counter)
    again = home.get(counter.key)
    assert again is not None and again is not counter
    assert again.value == 42
    assert list(home.keys()) == [counter.key]
    assert len(home) == 1


def test_every_kind_of_property_and_attribute_round_trips(open_store):
    store = open_store()
    home = store.home("Samples", Sample)
    blob = etree.fromstring(b'<x:Anything xmlns:x="urn:x" a="1"><x:deep>text</x:deep></x:Anything>')
    when = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    token = current_identity.set("/O=Grid/OU=Test/CN=Jane Doe")
    try:
        r = home.create(
            count=7,
            name="caf\u00e9 <&> \U0001f600",
            tags=[],
            when=when,
            ratio=0.1,
            amount=Decimal("12.3400"),
            flag=True,
            data=b"\x00\xff binary",
            topic="Value",
            blob=blob,
        )
    finally:
        current_identity.reset(token)
    r.consumer = "http://127.0.0.1:9/consumer"
    r.filters = {"topic": ["a", "b"], "limit": 3, "ratio": 0.5, "none": None}
    r.message_xml = '<m xmlns="urn:m">&lt;hello&gt;</m>'
    r.termination_time = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    home.save(r)
    store.close()

    got = reopen(open_store).get(r.key)
    assert got.count == 7
    assert got.name == "caf\u00e9 <&> \U0001f600"
    assert got.tags == []  # stored empty, not the non-empty default
    assert got.when == when
    assert got.ratio == 0.1
    assert got.amount == Decimal("12.3400")
    assert got.flag is True
    assert got.data == b"\x00\xff binary"
    assert got.topic == "Value"
    assert etree.tostring(got.blob, method="c14n") == etree.tostring(
        _renamed(blob, f"{{{NS}}}Blob"), method="c14n"
    )
    assert got.doubled == 14
    assert got.creator == "/O=Grid/OU=Test/CN=Jane Doe"
    assert got.termination_time == datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert got.consumer == "http://127.0.0.1:9/consumer"
    assert got.filters == {"topic": ["a", "b"], "limit": 3, "ratio": 0.5, "none": None}
    assert got.message_xml == '<m xmlns="urn:m">&lt;hello&gt;</m>'
    assert got.paused is False  # never set: the class default
    assert got.queue == [] and got.restored_calls == 1


def _renamed(el: Any, tag: str) -> Any:
    import copy

    el = copy.deepcopy(el)
    el.tag = tag
    return el


def test_unset_and_nil_properties_keep_their_meaning(open_store):
    store = open_store()
    home = store.home("Samples", Sample)
    r = home.create()  # tags default ["new"], when unset (nillable), name unset
    store.close()
    got = reopen(open_store).get(r.key)
    assert got.tags == ["new"]
    assert got.when is None
    assert got.name is None
    assert got.count == 0


def test_persistent_attributes_add_up_along_the_class_hierarchy(open_store):
    assert Special.persistent_attributes == (
        "consumer",
        "paused",
        "filters",
        "message_xml",
        "extra",
    )
    store = open_store()
    home = store.home("Specials", Special)
    r = home.create(count=1)
    r.extra = [1, "two"]
    r.paused = True
    home.save(r)
    store.close()
    got = reopen(open_store, Special, "Specials").get(r.key)
    assert got.extra == [1, "two"] and got.paused is True and got.count == 1


def test_persistent_attributes_are_declared_properly():
    with pytest.raises(TypeError, match="tuple of names"):

        class Wrong(Resource):
            persistent_attributes = "consumer"

    with pytest.raises(TypeError, match="stored anyway"):

        class Again(Resource):
            persistent_attributes = ("termination_time",)

    with pytest.raises(TypeError, match="stored anyway"):

        class Property(Resource):
            value = ResourceProperty("Value", "int")
            persistent_attributes = ("value",)


def test_attributes_that_are_not_json_are_refused_and_nothing_is_written(open_store):
    store = open_store()
    home = store.home("Samples", Sample)
    r = home.create(count=1)
    r.filters = {"when": datetime.now(UTC)}
    with pytest.raises(PersistenceError, match="JSON values"):
        home.save(r)
    with pytest.raises(PersistenceError, match="JSON values"):
        bad = Sample("k-bad")
        bad.consumer = object()
        home.add(bad)
    assert home.get("k-bad") is None
    store.close()
    got = reopen(open_store).get(r.key)
    assert got.count == 1 and not hasattr(got, "filters")  # the first state stayed


def test_destroy_deletes_for_good(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    kept, gone = home.create(), home.create()
    destroyed: list[str | None] = []
    home.on_destroy.append(lambda r: destroyed.append(r.key))
    home.destroy(gone.key)
    assert destroyed == [gone.key]
    with pytest.raises(ResourceUnknownFault):
        home.destroy(gone.key)
    store.close()
    home = open_store().home("CounterService", Counter)
    assert home.get(gone.key) is None
    assert home.get(kept.key) is not None
    assert set(home.keys()) == {kept.key}


def test_services_do_not_see_each_other(open_store):
    store = open_store()
    a = store.home("A", Counter)
    b = store.home("B", Counter)
    ra = a.create()
    a.add(Counter("shared", value=1))
    b.add(Counter("shared", value=2))
    assert b.get(ra.key) is None
    store.close()
    store = open_store()
    a, b = store.home("A", Counter), store.home("B", Counter)
    assert a.get("shared").value == 1 and b.get("shared").value == 2
    assert len(a) == 2 and len(b) == 1
    b.destroy("shared")
    assert a.get("shared") is not None


def test_add_of_an_existing_key_replaces_it(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    home.add(Counter("k", value=1))
    home.add(Counter("k", value=2))
    store.close()
    home = open_store().home("CounterService", Counter)
    assert home.get("k").value == 2 and len(home) == 1


def test_unchanged_resources_are_not_written_again(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    counter = home.create()
    updates: list[str] = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    home.save(counter)
    home.save(counter)
    assert updates == []
    counter.value = 5
    home.save(counter)
    home.save(counter)
    assert len(updates) == 1


def test_termination_times_are_recovered_and_swept(open_store):
    now = datetime.now(UTC)
    store = open_store()
    home = store.home("CounterService", Counter)
    past, future, forever = home.create(), home.create(), home.create()
    home.set_termination_time(past, now - timedelta(seconds=1))
    home.set_termination_time(future, now + timedelta(hours=1))
    store.close()  # the container stops with nothing swept

    store = open_store()
    home = store.home("CounterService", Counter)
    assert home.recovered == (3, 2)
    destroyed: list[str | None] = []
    home.on_destroy.append(lambda r: destroyed.append(r.key))
    assert home.sweep(now) == 1
    assert destroyed == [past.key]
    assert home.get(future.key).termination_time == future.termination_time
    assert home.sweep(now + timedelta(minutes=59)) == 0
    assert home.sweep(now + timedelta(hours=2)) == 1
    assert destroyed == [past.key, future.key]
    assert home.get(forever.key) is not None
    store.close()
    home = open_store().home("CounterService", Counter)
    assert list(home.keys()) == [forever.key]


def test_a_termination_time_cancelled_or_moved_is_respected(open_store):
    now = datetime.now(UTC)
    store = open_store()
    home = store.home("CounterService", Counter)
    r, s = home.create(), home.create()
    home.set_termination_time(r, now + timedelta(seconds=5))
    home.set_termination_time(s, now + timedelta(seconds=5))
    home.set_termination_time(r, None)
    s.termination_time = now + timedelta(hours=1)  # changed by service code, then saved
    home.save(s)
    store.close()
    home = open_store().home("CounterService", Counter)
    assert home.sweep(now + timedelta(minutes=1)) == 0
    assert home.get(r.key).termination_time is None
    assert home.get(s.key).termination_time == now + timedelta(hours=1)


def test_a_failed_write_leaves_the_stored_state(open_store, monkeypatch):
    store = open_store()
    home = store.home("CounterService", Counter)
    counter = home.create()
    counter.value = 1
    home.save(counter)

    def broken(*a, **kw):
        raise sa.exc.OperationalError("UPDATE", {}, Exception("disk I/O error"))

    counter.value = 2
    with monkeypatch.context() as m:
        m.setattr(store, "transaction", broken)
        with pytest.raises(sa.exc.OperationalError):
            home.save(counter)
    again = home.get(counter.key)
    assert again is not counter and again.value == 1


def test_singleton_resources_persist_and_cannot_be_destroyed(open_store):
    store = open_store()
    home = store.home("Settings", Sample, singleton=True)
    only = home.get(None)
    assert only is not None and home.get("anything") is only
    only.count = 9
    home.save(only)
    with pytest.raises(ResourceNotDestroyedFault):
        home.destroy(None)
    assert list(home.keys()) == [None] and len(home) == 1
    store.close()
    home = open_store().home("Settings", Sample, singleton=True)
    assert home.get(None).count == 9 and home.get(None).key is None


def test_resources_are_loaded_once_and_cached(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    keys = [home.create().key for _ in range(5)]
    home.evict()
    assert home.cached == 0
    first = home.get(keys[0])
    assert home.get(keys[0]) is first and home.cached == 1
    assert len(list(home.values())) == 5 and home.cached == 5
    assert home.get("no-such-key") is None and home.get(None) is None


def test_concurrent_writers_lose_nothing(open_store):
    store = open_store()
    home = store.home("CounterService", Counter)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                c = home.create()
                c.value = 3
                home.save(c)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store.close()
    home = open_store().home("CounterService", Counter)
    assert len(home) == 100
    assert {r.value for r in home.values()} == {3}


# -- schema versions and migrations ---------------------------------------------------------


def test_a_new_database_gets_the_current_schema(open_store):
    store = open_store()
    assert store.schema_version() == SCHEMA_VERSION
    assert [m.version for m in store.applied] == [m.version for m in MIGRATIONS]
    store.close()
    store = open_store()
    assert store.applied == []  # nothing to do the second time


def _set_version(store: ResourceStore, version: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            schema_versions.insert().values(version=version, description="future", applied_at=0)
        )


def test_a_newer_schema_is_refused(open_store):
    store = open_store()
    _set_version(store, SCHEMA_VERSION + 5)
    store.close()
    with pytest.raises(PersistenceError, match=r"schema version 6, newer than .*\(1\): upgrade"):
        open_store()


def test_tables_without_a_version_are_refused(open_store):
    store = open_store()
    with store.engine.begin() as conn:
        schema_versions.drop(conn)
    store.close()
    with pytest.raises(PersistenceError, match="no schema version: it was not written by gridware"):
        open_store()


def test_a_database_at_version_0_is_upgraded(open_store):
    store = open_store()
    with store.engine.begin() as conn:
        resources.drop(conn)
        conn.execute(schema_versions.delete())
    store.close()
    store = open_store()
    assert [m.version for m in store.applied] == [1]
    home = store.home("CounterService", Counter)
    home.create()
    assert len(home) == 1


def _v2(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE gridware_resources ADD COLUMN note VARCHAR(40)"))
    conn.execute(sa.text("UPDATE gridware_resources SET note = 'migrated'"))


def test_migrations_upgrade_in_place_and_keep_the_data(open_store, monkeypatch):
    store = open_store()
    home = store.home("CounterService", Counter)
    c = home.create()
    c.value = 11
    home.save(c)
    store.close()

    monkeypatch.setattr("gridware.container.persistence.SCHEMA_VERSION", 2)
    monkeypatch.setattr(
        "gridware.container.persistence.MIGRATIONS",
        [*MIGRATIONS, Migration(2, "a note per resource", _v2)],
    )
    store = open_store()
    assert [m.version for m in store.applied] == [2]
    assert store.schema_version() == 2
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT note FROM gridware_resources")).scalar() == "migrated"
    assert store.home("CounterService", Counter).get(c.key).value == 11


def test_a_failing_migration_changes_nothing(open_store, monkeypatch):
    store = open_store()
    c = store.home("CounterService", Counter).create()
    store.close()

    def broken(conn: sa.Connection) -> None:
        _v2(conn)
        raise sa.exc.ProgrammingError("v2", {}, Exception("the migration is broken"))

    monkeypatch.setattr("gridware.container.persistence.SCHEMA_VERSION", 2)
    monkeypatch.setattr(
        "gridware.container.persistence.MIGRATIONS", [*MIGRATIONS, Migration(2, "broken", broken)]
    )
    with pytest.raises(PersistenceError, match="the migration is broken"):
        open_store()
    monkeypatch.undo()
    store = open_store()
    assert store.schema_version() == 1
    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("gridware_resources")}
    assert "note" not in columns
    assert store.home("CounterService", Counter).get(c.key) is not None


# -- one container per database -----------------------------------------------------------


def test_a_second_container_is_refused(open_store, backend):
    store = open_store()
    store.home("CounterService", Counter)
    if backend.startswith("postgresql://"):
        other = open_store()  # the database is shared, the service is not
        with pytest.raises(
            PersistenceError, match=r"CounterService .* in use by another container"
        ):
            other.home("CounterService", Counter)
        other.home("OtherService", Counter)
        store.close()
        other.home("CounterService", Counter)  # free once the first store is closed
    else:
        with pytest.raises(PersistenceError, match=r"in use by another container \(pid \d+\)"):
            open_store()
        store.close()
        open_store()


def test_a_home_per_service_and_store(open_store):
    store = open_store()
    store.home("CounterService", Counter)
    with pytest.raises(ValueError, match="already has a home"):
        store.home("CounterService", Counter)
    store.close()
    with pytest.raises(PersistenceError, match="closed"):
        store.home("Other", Counter)


def test_a_service_keeps_the_empty_home_it_is_given(open_store):
    from gridware.services.samples import CounterService

    home = open_store().home("CounterService", Counter)
    assert len(home) == 0
    assert CounterService(home=home).home is home


def test_restoring_a_resource_is_not_a_change_of_its_properties(open_store, monkeypatch):
    store = open_store()
    home = store.home("Samples", Sample)
    r = home.create(count=4, tags=["a", "b"])
    store.close()

    def no_assignment(prop, obj, value):
        raise AssertionError(f"{prop.name} assigned while restoring")

    monkeypatch.setattr(ResourceProperty, "__set__", no_assignment)
    got = reopen(open_store).get(r.key)
    assert got.count == 4 and got.tags == ["a", "b"]


def test_a_missing_driver_is_one_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(
        PersistenceError, match=r"needs a driver: pip install 'gridware\[postgresql\]'"
    ):
        ResourceStore.open("postgresql://gridware@127.0.0.1:1/x")


def _drop_connections(url: str) -> None:
    """What a restart of the database server does to the container's connections."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_dropped_postgresql_connections_are_replaced(pg_url):
    store = ResourceStore.open(pg_url)
    try:
        home = store.home("CounterService", Counter)
        counter = home.create()
        _drop_connections(pg_url)
        store.ping_after = 0  # idle long enough: checked before use, replaced, no error
        counter.value = 5
        home.save(counter)
        _drop_connections(pg_url)
        store.ping_after = 3600  # not checked: this transaction fails, the next one works
        counter.value = 6
        with pytest.raises(sa.exc.OperationalError):
            home.save(counter)
        again = home.get(counter.key)
        assert again.value == 5
        again.value = 7
        home.save(again)
        home.evict()
        assert home.get(counter.key).value == 7
    finally:
        store.close()
