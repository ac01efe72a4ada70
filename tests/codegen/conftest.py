"""Fixtures of the wsdl2py tests: the feature package, generated and imported once."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.codegen import strategies as gs
from tests.codegen.support import FEATURES_WSDL, F, O, attribute, generated

FEATURES_PACKAGE = "gw_test_features"


class GeneratedModules:
    """The modules of one generated package, imported from a temporary directory.

    A module that fails to import is remembered; :meth:`module` raises its error
    inside the test that needs it.
    """

    def __init__(self, package: str, outdir: Path) -> None:
        self.package = package
        self.outdir = outdir
        self.root = outdir / package
        self.errors: dict[str, Exception] = {}
        self._modules: dict[str, ModuleType] = {}
        sys.path.insert(0, str(outdir))
        for name in ("types", "faults", "client", "server"):
            try:
                self._modules[name] = importlib.import_module(f"{package}.{name}")
            except Exception as exc:  # reported by the tests that use the module
                self.errors[name] = exc

    def module(self, name: str) -> ModuleType:
        if name in self.errors:
            raise self.errors[name]
        return self._modules[name]

    @property
    def types(self) -> ModuleType:
        return self.module("types")

    def close(self) -> None:
        sys.path.remove(str(self.outdir))
        for name in [m for m in sys.modules if m.split(".")[0] == self.package]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedModules]:
    """The package generated from data/features.wsdl."""
    outdir = tmp_path_factory.mktemp("generated")
    generated(str(FEATURES_WSDL), FEATURES_PACKAGE).write(outdir)
    mods = GeneratedModules(FEATURES_PACKAGE, outdir)
    yield mods
    mods.close()


@pytest.fixture(scope="session")
def t(features: GeneratedModules) -> ModuleType:
    """The generated types module of the feature schema."""
    return features.types


# -- valid values of the feature schema -----------------------------------------------


def _money(lo: str, hi: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(Decimal(lo), Decimal(hi), places=2)


def _catalog(builder: gs.ValueBuilder, depth: int) -> st.SearchStrategy[Any]:
    """Catalogs whose IDREF and IDREFS point at entry keys (ID values are unique)."""
    mod = builder.module
    keys = st.lists(gs.NCNAME, unique=True, max_size=4)

    def build(keys: list[str], texts: list[str], data: st.DataObject) -> Any:
        entries = [mod.CatalogEntry(value=v, key=k) for k, v in zip(keys, texts, strict=False)]
        keys = keys[: len(entries)]
        if not keys:
            return mod.Catalog(entry=entries)
        favourite = data.draw(st.one_of(st.none(), st.sampled_from(keys)))
        related = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(keys), min_size=1)))
        return mod.Catalog(entry=entries, favourite=favourite, related=related)

    return st.builds(build, keys, st.lists(gs.STRING, min_size=4, max_size=4), st.data())


def feature_values(mod: ModuleType, **options: Any) -> gs.ValueBuilder:
    """A :class:`ValueBuilder` for the feature schema: its derived simple types described."""
    qnames = st.lists(gs.QNAME, max_size=3)
    simple = {
        id(mod.SKU_TYPE): st.from_regex(r"[0-9]{3}-[A-Z]{2}", fullmatch=True),
        id(mod.CURRENCY_TYPE): st.from_regex(r"[A-Z]{3}", fullmatch=True),
        id(mod.PERCENT_TYPE): st.integers(0, 100),
        id(mod.SMALL_PERCENT_TYPE): st.integers(0, 9),
        id(mod.TEMPERATURE_TYPE): st.decimals(Decimal("-273.14"), Decimal("999.99"), places=2),
        id(mod.CODE_TYPE): st.text(gs.XML_CHAR, min_size=4, max_size=4),
        id(mod.SHORT_NAME_TYPE): st.text(gs.XML_CHAR, min_size=1, max_size=8),
        id(mod.MONEY_TYPE): _money("-999999.99", "999999.99"),
        id(mod.DIGEST_TYPE): st.binary(min_size=4, max_size=4),
        id(mod.STAMP_TYPE): st.datetimes(
            min_value=datetime(2000, 1, 2), max_value=datetime(9998, 1, 1), timezones=gs.TZ
        ),
        id(mod.INT_LIST_TYPE): st.lists(gs.BUILTINS["int"], max_size=4),
        id(mod.COLOR_LIST_TYPE): st.lists(st.sampled_from(list(mod.Color)), max_size=4),
        id(mod.SHORT_INT_LIST_TYPE): st.lists(gs.BUILTINS["int"], max_size=3),
        id(mod.SMALL_COUNTS_TYPE): st.lists(st.integers(0, 9), max_size=4),
        id(mod.PERCENT_OR_AUTO_TYPE): st.one_of(
            st.integers(0, 100), st.just(mod.PercentOrAutoMember.AUTO)
        ),
        id(mod.DATE_OR_DATE_TIME_TYPE): st.one_of(gs.DATE, gs.DATETIME),
        id(mod.Q_NAME_CHOICE_TYPE): st.sampled_from([f"{{{F}}}alpha", f"{{{O}}}beta"]),
        id(mod.Q_NAME_LIST_TYPE): qnames,
        id(mod.Q_NAME_OR_INT_TYPE): st.one_of(gs.BUILTINS["int"], gs.QNAME),
        id(mod.WEIGHT_TYPE): st.integers(1, 5),
        id(attribute(mod.Simples, "percent_attr").type): st.integers(-5, 5),
        id(mod.SmallPrice.__binding__.text.type): _money("-999999.99", "100"),
    }
    return gs.ValueBuilder(
        mod, simple={**gs.STANDARD_SIMPLE_TYPES, **simple}, classes={"Catalog": _catalog}, **options
    )


@pytest.fixture(scope="session")
def values(t: ModuleType) -> gs.ValueBuilder:
    return feature_values(t)
