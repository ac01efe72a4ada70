"""WS-Resources: resource properties, resources and resource homes.

Declare a resource type by subclassing :class:`Resource` and listing its
properties::

    class Counter(Resource):
        namespace = "http://example.org/counter"
        document = "CounterResourceProperties"

        value = ResourceProperty("Value", "int", default=0, modifiable=True)

``counter.value`` reads and writes the Python value; the container builds the
resource property document (and answers every WS-ResourceProperties request)
from these declarations.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import copy
import heapq
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar, overload

from lxml import etree

from gridware.codegen.runtime import SimpleType, SimpleTypeError, simple_type
from gridware.codegen.runtime.model import (
    AnyElement,
    BindingError,
    Complex,
    ElementCodec,
    GlobalElement,
)
from gridware.container import ns
from gridware.container.faults import ResourceUnknownFault
from gridware.container.xml import Element, is_nil, qname

_MISSING: Any = object()

#: The grid identity of the caller of the request being served (resources remember
#: it as their creator).
current_identity: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gridware_current_identity", default=None
)
_NIL = qname(ns.XSI, "nil")
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("gridware_quiet", default=False)


@contextlib.contextmanager
def quiet_changes() -> Iterator[None]:
    """Assign resource properties without telling their observers: for restoring
    stored state (a persistent home rebuilding a resource is not a change)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def utcnow() -> datetime:
    return datetime.now(UTC)


class ResourceProperty:
    """A resource property of a :class:`Resource` type.

    ``name`` is the local name (in the resource's ``namespace``) or a Clark QName.
    ``type`` is an XML Schema simple type (``"int"``, ``"dateTime"``, ``int`` ...), a
    generated complex type class (values are its instances), or ``None`` for
    complex content kept as lxml elements.

    ``max_occurs`` greater than one (or ``None`` for unbounded) makes the Python
    attribute a list.  ``modifiable`` lets clients change it with
    SetResourceProperties.  ``getter`` computes the value on every read.
    """

    def __init__(
        self,
        name: str,
        type: SimpleType | str | type | AnyElement | ElementCodec | None = "string",
        *,
        default: Any = _MISSING,
        min_occurs: int = 1,
        max_occurs: int | None = 1,
        nillable: bool = False,
        modifiable: bool = False,
        getter: Callable[[Any], Any] | None = None,
        doc: str = "",
    ) -> None:
        self.name = name
        self.bound: Any = None  # a generated Complex class or an ElementCodec
        if isinstance(type, ElementCodec) or (
            isinstance(type, builtins.type) and issubclass(type, Complex)
        ):
            self.bound, self.simple = type, None
        elif type is None or isinstance(type, AnyElement):  # lxml elements as they are
            self.simple = None
        else:
            self.simple = simple_type(type)
        self.min_occurs = min_occurs
        self.max_occurs = max_occurs
        self.nillable = nillable
        self.modifiable = modifiable and getter is None
        self.getter = getter
        self.doc = doc
        if default is _MISSING:
            default = [] if self.many else None
        self.default = default
        self.attr = ""
        self.tag = name if name.startswith("{") else ""
        self.observers: list[Callable[[Any, ResourceProperty, Any], None]] = []
        """Called as ``observer(resource, prop, old_value)`` after every assignment
        (WS-Notification producers watch the properties that are topics)."""

    @property
    def many(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr
        self._slot = "_rp_" + attr

    def bind(self, namespace: str) -> None:
        if not self.tag:
            self.tag = qname(namespace, self.name)

    @overload
    def __get__(self, obj: None, owner: type) -> ResourceProperty: ...
    @overload
    def __get__(self, obj: Resource, owner: type) -> Any: ...
    def __get__(self, obj: Resource | None, owner: type) -> Any:
        if obj is None:
            return self
        if self.getter is not None:
            return self.getter(obj)
        try:
            return obj.__dict__[self._slot]
        except KeyError:
            value = copy.copy(self.default) if self.many else self.default
            obj.__dict__[self._slot] = value
            return value

    def __set__(self, obj: Resource, value: Any) -> None:
        if self.getter is not None:
            raise AttributeError(f"resource property {self.name} is computed and cannot be set")
        if self.many:
            value = list(value)
            for v in value:
                self.check(v)
        elif value is not None:
            self.check(value)
        if self.observers and not _quiet.get():
            old = obj.__dict__.get(self._slot, self.default)
            obj.__dict__[self._slot] = value
            for observer in list(self.observers):
                observer(obj, self, old)
            return
        obj.__dict__[self._slot] = value

    # -- values <-> XML -----------------------------------------------------------------
    def check(self, value: Any) -> None:
        """Raise :class:`SimpleTypeError` if ``value`` cannot be written as this property."""
        if self.bound is not None:
            expected = getattr(self.bound, "python_type", self.bound)
            if not isinstance(value, expected):
                raise SimpleTypeError(
                    f"resource property {self.name} holds {expected.__name__} values, "
                    f"not {type(value).__name__}"
                )
            return
        if self.simple is None:
            if not isinstance(value, etree._Element):
                raise SimpleTypeError(
                    f"resource property {self.name} holds XML elements, not {type(value).__name__}"
                )
        else:
            self.simple.format(value)

    def values(self, resource: Resource) -> list[Any]:
        """The current values as a list (empty when unset)."""
        v = self.__get__(resource, type(resource))
        if self.many:
            return list(v)
        return [] if v is None else [v]

    def elements(self, resource: Resource) -> list[Element]:
        """The property's elements, as they appear in the resource property document."""
        vals = self.values(resource)
        out = []
        for v in vals:
            out.append(self.to_element(v))
        if not out and self.nillable and self.min_occurs > 0:
            el = etree.Element(self.tag)
            el.set(_NIL, "true")
            out.append(el)
        return out

    def to_element(self, value: Any) -> Element:
        if self.bound is not None:
            try:
                return GlobalElement(self.tag, self.bound).build(value)
            except BindingError as exc:
                raise SimpleTypeError(str(exc)) from None
        if self.simple is None:
            el: Element = copy.deepcopy(value)
            el.tag = self.tag
            return el
        el = etree.Element(self.tag)
        el.text = self.simple.format(value)
        return el

    def from_element(self, el: Element) -> Any:
        """The Python value of one element (raises :class:`SimpleTypeError`)."""
        if el.tag != self.tag:
            raise SimpleTypeError(f"element {el.tag} is not resource property {self.tag}")
        if self.bound is not None:
            try:
                return GlobalElement(self.tag, self.bound).read(el)
            except BindingError as exc:
                raise SimpleTypeError(str(exc)) from None
        if self.simple is None:
            return copy.deepcopy(el)
        if is_nil(el):
            if not self.nillable:
                raise SimpleTypeError(f"resource property {self.name} is not nillable")
            return None
        if len(el):
            raise SimpleTypeError(f"resource property {self.name} has simple content, not elements")
        return self.simple.parse(el.text or "")

    def assign(self, resource: Resource, values: list[Any]) -> None:
        """Store a list of values, checking the occurrence bounds."""
        values = [v for v in values if v is not None]
        if len(values) < self.min_occurs and not (self.nillable and not values):
            raise SimpleTypeError(
                f"resource property {self.name} needs at least {self.min_occurs} value(s)"
            )
        if self.max_occurs is not None and len(values) > self.max_occurs:
            raise SimpleTypeError(
                f"resource property {self.name} takes at most {self.max_occurs} value(s)"
            )
        if self.many:
            self.__set__(resource, values)
        else:
            self.__set__(resource, values[0] if values else None)


class Resource:
    """A stateful resource: a key, resource properties and an optional termination time.

    Subclasses set ``namespace`` (of their properties) and ``document`` (the local
    name of the resource property document element) and declare
    :class:`ResourceProperty` attributes.

    **Persistence.**  A persistent home (:mod:`gridware.container.persistence`)
    stores a resource's state: the values of its resource properties (those
    without a ``getter``, written as their XML elements), ``termination_time``,
    ``creator``, and the plain attributes named in ``persistent_attributes``.
    Those attributes hold JSON values (``str``, ``int``, ``float``, ``bool``,
    ``None``, lists and dicts of them); XML must be kept as a string by the class.
    A subclass's ``persistent_attributes`` add to those of its bases.  A stored
    resource is rebuilt without calling the subclass's ``__init__``: the home
    sets the key, the stored state (attributes missing from the store keep their
    class-level value), then calls :meth:`restored`, where a subclass rebuilds
    whatever it does not store (locks, queues, timers).  Changes are written by
    the home's ``save`` (the container calls it after every operation).
    """

    namespace: ClassVar[str] = ns.GRIDWARE
    document: ClassVar[str] = "ResourceProperties"
    properties: ClassVar[dict[str, ResourceProperty]] = {}
    persistent_attributes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        props: dict[str, ResourceProperty] = {}
        for base in reversed(cls.__mro__[1:]):
            props.update(getattr(base, "properties", {}))
        for value in list(vars(cls).values()):
            if isinstance(value, ResourceProperty):
                value.bind(cls.namespace)
                props[value.tag] = value
        cls.properties = props
        attrs: dict[str, None] = {}
        for base in reversed(cls.__mro__):
            declared = vars(base).get("persistent_attributes", ())
            if isinstance(declared, str):
                raise TypeError(
                    f"{base.__name__}.persistent_attributes must be a tuple of names, not a string"
                )
            for name in declared:
                if name in ("key", "termination_time", "creator") or isinstance(
                    getattr(cls, name, None), ResourceProperty
                ):
                    raise TypeError(
                        f"{base.__name__}.persistent_attributes: {name!r} is stored anyway"
                    )
                attrs[name] = None
        cls.persistent_attributes = tuple(attrs)

    def __init__(self, key: str | None = None, **values: Any) -> None:
        self.key = key
        self.termination_time: datetime | None = None
        self.creator: str | None = current_identity.get()
        attrs = {p.attr for p in self.properties.values()}
        for attr, value in values.items():
            if attr not in attrs:
                raise TypeError(f"{type(self).__name__} has no resource property {attr!r}")
            setattr(self, attr, value)

    @classmethod
    def document_tag(cls) -> str:
        return qname(cls.namespace, cls.document)

    def restored(self) -> None:
        """Called after a persistent home rebuilt this resource from its store."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key!r}>"


R = TypeVar("R", bound=Resource)


class ResourceHome(ABC, Generic[R]):
    """Creates, finds, lists and removes the resources of one type.

    The in-memory home is :class:`InMemoryResourceHome`; persistent homes implement
    the same interface and also write resources back in :meth:`save`.
    """

    def __init__(self, resource_class: type[R]) -> None:
        self.resource_class = resource_class
        self.on_create: list[Callable[[R], None]] = []
        self.on_destroy: list[Callable[[R], None]] = []

    def new_key(self) -> str:
        return str(uuid.uuid4())

    def create(self, **values: Any) -> R:
        """Create, store and return a new resource with a fresh key."""
        resource = self.resource_class(self.new_key(), **values)
        self.add(resource)
        for callback in self.on_create:
            callback(resource)
        return resource

    @abstractmethod
    def add(self, resource: R) -> None:
        """Store a resource built by the caller."""

    @abstractmethod
    def get(self, key: str | None) -> R | None:
        """The resource with ``key``, or ``None``."""

    def find(self, key: str | None) -> R:
        """The resource with ``key``; raises :class:`ResourceUnknownFault` if there is none."""
        resource = self.get(key)
        if resource is None:
            raise ResourceUnknownFault(f"no resource with key {key!r}: unknown or destroyed")
        return resource

    @abstractmethod
    def remove(self, key: str | None) -> R:
        """Remove and return a resource; raises :class:`ResourceUnknownFault`."""

    @abstractmethod
    def keys(self) -> Iterator[str | None]:
        """The keys of all resources."""

    @abstractmethod
    def __len__(self) -> int: ...

    def values(self) -> Iterator[R]:
        """Every resource (a persistent home loads the ones it has not loaded yet)."""
        for key in self.keys():
            resource = self.get(key)
            if resource is not None:
                yield resource

    def save(self, resource: R) -> None:
        """Write a changed resource back (nothing to do in memory)."""

    def set_termination_time(self, resource: R, when: datetime | None) -> None:
        """Schedule (or, with ``None``, cancel) the destruction of a resource."""
        resource.termination_time = when

    def destroy(self, key: str | None) -> R:
        """Remove a resource and run the destroy callbacks."""
        resource = self.remove(key)
        for callback in self.on_destroy:
            callback(resource)
        return resource

    @abstractmethod
    def expired(self, now: datetime) -> list[str | None]:
        """Keys of resources whose termination time has passed."""

    def sweep(self, now: datetime | None = None) -> int:
        """Destroy every expired resource; returns how many were destroyed."""
        now = now or utcnow()
        n = 0
        for key in self.expired(now):
            resource = self.get(key)
            if resource is None or resource.termination_time is None:
                continue
            if resource.termination_time <= now:
                self.destroy(key)
                n += 1
        return n


class InMemoryResourceHome(ResourceHome[R]):
    """Resources in a dict; termination times in a heap for the sweeper."""

    def __init__(self, resource_class: type[R]) -> None:
        super().__init__(resource_class)
        self._resources: dict[str | None, R] = {}
        self._deadlines: list[tuple[datetime, str | None]] = []
        self._lock = threading.Lock()

    def add(self, resource: R) -> None:
        with self._lock:
            self._resources[resource.key] = resource
            if resource.termination_time is not None:
                heapq.heappush(self._deadlines, (resource.termination_time, resource.key))

    def get(self, key: str | None) -> R | None:
        return self._resources.get(key)

    def remove(self, key: str | None) -> R:
        with self._lock:
            resource = self._resources.pop(key, None)
        if resource is None:
            raise ResourceUnknownFault(f"no resource with key {key!r}: unknown or destroyed")
        return resource

    def keys(self) -> Iterator[str | None]:
        return iter(list(self._resources))

    def __len__(self) -> int:
        return len(self._resources)

    def set_termination_time(self, resource: R, when: datetime | None) -> None:
        resource.termination_time = when
        if when is not None:
            with self._lock:
                heapq.heappush(self._deadlines, (when, resource.key))

    def expired(self, now: datetime) -> list[str | None]:
        out = []
        with self._lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                _, key = heapq.heappop(self._deadlines)
                out.append(key)
        return out


class SingletonHome(ResourceHome[R]):
    """The home of a singleton service: one resource, no key."""

    def __init__(self, resource_class: type[R], resource: R | None = None) -> None:
        super().__init__(resource_class)
        self._resource: R | None = resource if resource is not None else resource_class(None)

    def add(self, resource: R) -> None:
        self._resource = resource

    def get(self, key: str | None) -> R | None:
        return self._resource

    def remove(self, key: str | None) -> R:
        from gridware.container.faults import ResourceNotDestroyedFault

        raise ResourceNotDestroyedFault("a singleton resource cannot be destroyed")

    def keys(self) -> Iterator[str | None]:
        return iter([None] if self._resource is not None else [])

    def __len__(self) -> int:
        return 1 if self._resource is not None else 0

    def expired(self, now: datetime) -> list[str | None]:
        return []
