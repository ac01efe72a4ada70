"""Services: operations dispatched by ``wsa:Action``, fronting a resource home.

A service is a class.  Its operations are methods marked with
:func:`operation`; their parameters and return value are mapped to and from
the document/literal message by their type hints::

    class CounterService(Service):
        namespace = "http://example.org/counter"
        resource_class = Counter
        key = "{http://example.org/counter}CounterKey"

        @operation
        def createCounter(self) -> EndpointReference:
            return self.epr(self.home.create())

        @operation
        def add(self, resource: Counter, value: int) -> int:
            resource.value += value
            return resource.value

A parameter annotated with a :class:`Resource` subclass receives the resource
addressed by the request's key header; one annotated with
:class:`RequestContext` receives the request context.  Every WS-RF operation
(properties, query, lifetime) is added by the container.

Operations run on the reactor thread and must not block.  Use ``async def``
(and ``await`` Twisted Deferreds or :func:`run_blocking`) or mark the
operation ``@operation(blocking=True)`` to run it in the thread pool.
"""

from __future__ import annotations

import collections.abc
import contextvars
import functools
import inspect
import logging
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from lxml import etree
from twisted.internet import defer, threads

from gridware.codegen.runtime import SimpleType, SimpleTypeError, simple_type
from gridware.codegen.runtime.model import BindingError
from gridware.codegen.runtime.operation import OperationBinding
from gridware.container import faults, ns
from gridware.container.addressing import (
    AddressingError,
    AddressingHeaders,
    EndpointReference,
    reply_headers,
)
from gridware.container.dialects import WsrfDialect, wsrf_dialect
from gridware.container.resource import (
    InMemoryResourceHome,
    Resource,
    ResourceHome,
    SingletonHome,
    current_identity,
)
from gridware.container.security import (
    AuthenticationFault,
    Caller,
    NotAuthorizedFault,
    ServiceSecurity,
    TransportSecurityFault,
)
from gridware.container.soap import (
    SOAP11,
    SoapMessage,
    SoapVersion,
    envelope_bytes,
    fault_element,
    parse_envelope,
)
from gridware.container.wsrf import WsrfOperations
from gridware.container.xml import Element, XMLLimits, qname
from gridware.security.credential import Credential
from gridware.security.wssec import ADDRESSING_HEADERS, VerifiedMessage

if TYPE_CHECKING:
    from gridware.container.hosting import Container

log = logging.getLogger("gridware.container")

_MUST_UNDERSTAND_VALUES = ("1", "true")
_SOAP12_ULTIMATE_ROLES = (
    None,
    "http://www.w3.org/2003/05/soap-envelope/role/next",
    "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver",
)
_SOAP11_ULTIMATE_ACTORS = (None, "http://schemas.xmlsoap.org/soap/actor/next")
# header blocks carrying a mustUnderstand attribute, per envelope namespace
_MARKED_MUST_UNDERSTAND = {
    uri: etree.XPath("*[@s:mustUnderstand]", namespaces={"s": uri})
    for uri in (ns.SOAP11_ENV, ns.SOAP12_ENV)
}


_MODIFYING_WSRF = {
    "SetResourceProperties",
    "InsertResourceProperties",
    "UpdateResourceProperties",
    "DeleteResourceProperties",
    "Destroy",
    "SetTerminationTime",
}


_WSSE_SECURITY = frozenset(
    {
        "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
        "Security",
    }
)


@dataclass(slots=True)
class _Protection:
    """The verified signature of the request being processed (its reply is signed)."""

    verified: VerifiedMessage | None = None


@dataclass(slots=True)
class TransportInfo:
    """What the HTTP layer knows of a request's connection."""

    caller: Caller = field(default_factory=Caller)
    error: faults.Fault | None = None  # a TLS client chain that failed validation


def run_blocking(func: Callable[..., Any], *args: Any, **kwargs: Any) -> defer.Deferred[Any]:
    """Run blocking code in the reactor's thread pool; ``await`` the result."""
    return threads.deferToThread(func, *args, **kwargs)


@dataclass(slots=True)
class RequestContext:
    """What the container knows about the request being served."""

    service: Service
    operation: str
    soap: SoapVersion
    addressing: AddressingHeaders
    message: SoapMessage
    guid: str
    peer: str = ""
    resource_key: str | None = None
    resolved: Resource | None = None
    caller: Caller = field(default_factory=Caller)
    """Who is calling: identity (grid DN), TLS chain, local account from the grid-mapfile."""

    def delegated_credential(self, epr: EndpointReference | None = None) -> Credential | None:
        """A credential the caller delegated to this container (``gridware delegate``):
        the one at ``epr``, else the caller's longest-lived one; None if there is none."""
        security = self.service.security
        host = security.host if security is not None else None
        if host is None or host.delegation is None:
            return None
        found: Credential | None = host.delegation.credential_for(self.caller.identity, epr)
        return found

    def resource(self) -> Any:
        """The resource the request addresses (from its key header).

        Raises :class:`~gridware.container.faults.ResourceUnknownFault` when the
        request names none or an unknown one.
        """
        if self.resolved is None:
            home = self.service.home
            if home is None:
                raise faults.ResourceUnknownFault(f"service {self.service.name} has no resources")
            self.resource_key = self.service._resource_key(self.message)
            self.resolved = home.find(self.resource_key)
        return self.resolved


# -- operations -------------------------------------------------------------------------


@dataclass(slots=True)
class _Param:
    name: str
    kind: str  # "simple", "element", "epr"
    simple: SimpleType | None = None
    many: bool = False
    optional: bool = False


@dataclass(slots=True)
class OperationSpec:
    """A service operation: its name, action and how its message maps to Python."""

    name: str
    method: str
    action: str | None = None
    blocking: bool = False
    params: list[_Param] = field(default_factory=list)
    context_param: str | None = None
    resource_param: str | None = None
    raw: bool = False  # the single parameter receives the whole body element
    returns: _Param | None = None
    binding: OperationBinding | None = None  # generated code: the codecs of the WSDL


F = typing.TypeVar("F", bound=Callable[..., Any])


@typing.overload
def operation(func: F) -> F: ...
@typing.overload
def operation(
    func: None = None,
    *,
    name: str | None = None,
    action: str | None = None,
    blocking: bool = False,
    binding: OperationBinding | None = None,
) -> Callable[[F], F]: ...
def operation(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    action: str | None = None,
    blocking: bool = False,
    binding: OperationBinding | None = None,
) -> Any:
    """Mark a method as a service operation.

    ``name`` defaults to the method name and is the local name of the request
    element (the response is ``<name>Response``); ``action`` defaults to
    ``{namespace}/{port_type}/{name}Request``.  ``blocking=True`` runs the method
    in the thread pool so it may block.  Generated stubs pass ``binding``, the
    operation as their WSDL describes it (messages, actions).
    """

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        f.__gridware_operation__ = {  # type: ignore[attr-defined]
            "name": binding.name if binding is not None else name or f.__name__,
            "action": binding.action if binding is not None else action,
            "blocking": blocking,
            "binding": binding,
        }
        return f

    return mark(func) if func is not None else mark


def _classify(annotation: Any, pname: str, where: str) -> _Param:
    optional = False
    many = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"{where}: parameter {pname!r} has an unsupported union type")
        optional, annotation = True, args[0]
        origin = typing.get_origin(annotation)
    if origin is list:
        (annotation,) = typing.get_args(annotation)
        many = True
    if annotation is EndpointReference:
        return _Param(pname, "epr", many=many, optional=optional)
    if annotation is etree._Element:
        return _Param(pname, "element", many=many, optional=optional)
    if isinstance(annotation, SimpleType):
        return _Param(pname, "simple", annotation, many, optional)
    try:
        return _Param(pname, "simple", simple_type(annotation), many, optional)
    except (SimpleTypeError, TypeError):
        raise TypeError(
            f"{where}: parameter {pname!r} has type {annotation!r}; use int, str, float, bool, "
            "Decimal, datetime, bytes, EndpointReference, an lxml element or a list of these"
        ) from None


def _analyse_bound(
    cls: type[Service], method: str, func: Callable[..., Any], info: dict[str, Any]
) -> OperationSpec:
    """An operation of a generated stub: the binding maps the messages."""
    where = f"{cls.__name__}.{method}"
    binding: OperationBinding = info["binding"]
    spec = OperationSpec(info["name"], method, info["action"], info["blocking"], binding=binding)
    try:
        hints = typing.get_type_hints(func, globalns=vars(inspect.getmodule(func)))
    except Exception:
        hints = {}
    expected = _codec_params(binding)
    params = []
    for pname, p in list(inspect.signature(func).parameters.items())[1:]:
        ann = hints.get(pname, p.annotation)
        if ann is RequestContext or ann == "RequestContext":
            spec.context_param = pname
        elif isinstance(ann, type) and issubclass(ann, Resource):
            spec.resource_param = pname
        else:
            params.append(pname)
    if expected is not None and sorted(params) != sorted(expected):
        raise TypeError(
            f"{where}: parameters {params} do not match the WSDL message ({sorted(expected)})"
        )
    return spec


def _codec_params(binding: OperationBinding) -> list[str] | None:
    codec = binding.input
    if hasattr(codec, "fields"):
        return list(codec.fields)
    if hasattr(codec, "param"):
        return [codec.param]
    if hasattr(codec, "parts"):
        return [p.param for p in codec.parts]
    return None


def _analyse(cls: type[Service], method: str, func: Callable[..., Any]) -> OperationSpec:
    info = func.__gridware_operation__  # type: ignore[attr-defined]
    if info.get("binding") is not None:
        return _analyse_bound(cls, method, func, info)
    where = f"{cls.__name__}.{method}"
    hints = typing.get_type_hints(
        func, globalns=vars(inspect.getmodule(func)), include_extras=False
    )
    spec = OperationSpec(info["name"], method, info["action"], info["blocking"])
    sig = inspect.signature(func)
    for pname, p in list(sig.parameters.items())[1:]:
        ann = hints.get(pname, p.annotation)
        if ann is inspect.Parameter.empty:
            raise TypeError(f"{where}: parameter {pname!r} needs a type hint")
        if ann is RequestContext:
            spec.context_param = pname
        elif isinstance(ann, type) and issubclass(ann, Resource):
            spec.resource_param = pname
        else:
            param = _classify(ann, pname, where)
            if p.default is not inspect.Parameter.empty:
                param.optional = True
            spec.params.append(param)
    if len(spec.params) == 1 and spec.params[0].kind == "element" and not spec.params[0].many:
        spec.raw = True
    ret = hints.get("return", None)
    while typing.get_origin(ret) in (
        defer.Deferred,
        Awaitable,
        Coroutine,
        collections.abc.Awaitable,
    ):
        ret = typing.get_args(ret)[-1]
    if ret not in (None, type(None)):
        spec.returns = _classify(ret, "return", where)
    return spec


class Service:
    """Base class of a deployable service.

    Class attributes configure the service:

    ``namespace``       target namespace of the operation messages
    ``port_type``       port type name used in default actions (default ``<Class>PortType``)
    ``resource_class``  the :class:`Resource` type the service fronts (``None``: stateless)
    ``key``             Clark QName of the reference property/parameter carrying the key
    ``singleton``       one resource, addressed without a key
    ``lifetime``        offer Destroy/SetTerminationTime (default: not for singletons)
    ``wsdl``            WSDL file per dialect set name, e.g. ``{"wsrf-1.2": "counter.wsdl"}``;
                        relative names are looked up in :mod:`gridware.wsdl`
    ``generated_dialect``  set by wsdl2py: the only dialect set the stub can serve
    ``index_resources``  register each resource (made by ``home.create``) in the
                        container's default index, its entry removed when it is destroyed
    """

    namespace: ClassVar[str] = ns.GRIDWARE
    port_type: ClassVar[str | None] = None
    resource_class: ClassVar[type[Resource] | None] = None
    key: ClassVar[str | None] = None
    singleton: ClassVar[bool] = False
    lifetime: ClassVar[bool | None] = None
    wsdl: ClassVar[str | Mapping[str, str] | None] = None
    generated_dialect: ClassVar[str | None] = None  # set by wsdl2py stubs
    index_resources: ClassVar[bool] = False
    operations: ClassVar[dict[str, OperationSpec]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        ops: dict[str, OperationSpec] = {}
        for base in reversed(cls.__mro__[1:]):
            ops.update(getattr(base, "operations", {}))
        for attr, value in list(vars(cls).items()):
            if callable(value) and hasattr(value, "__gridware_operation__"):
                spec = _analyse(cls, attr, value)
                ops[spec.name] = spec
        cls.operations = ops

    def __init__(
        self,
        name: str | None = None,
        *,
        dialect: str | WsrfDialect | None = None,
        options: Mapping[str, Any] | None = None,
        home: ResourceHome[Any] | None = None,
    ) -> None:
        self.name = name or type(self).__name__
        generated_for = type(self).generated_dialect
        self.dialect = wsrf_dialect(dialect or generated_for or "wsrf-1.2")
        if generated_for and self.dialect is not wsrf_dialect(generated_for):
            raise ValueError(
                f"{type(self).__name__} was generated from a {generated_for} WSDL and cannot "
                f"be deployed as {self.dialect.name}; generate from the other WSDL"
            )
        self.options: dict[str, Any] = dict(options or {})
        self.url = f"http://127.0.0.1:8080/wsrf/services/{self.name}"
        self.limits = XMLLimits()
        self.security: ServiceSecurity | None = None
        self.home: ResourceHome[Any] | None = None
        self.wsrf: WsrfOperations | None = None
        if self.resource_class is not None:
            self.home = home if home is not None else self.create_home()
            lifetime = self.lifetime if self.lifetime is not None else not self.singleton
            self.wsrf = WsrfOperations(self.home, self.dialect, lifetime)
        elif home is not None:
            raise TypeError(f"{type(self).__name__} has no resource_class, so it takes no home")
        if self.resource_class is not None and not self.singleton and not self.key:
            raise TypeError(f"{type(self).__name__} fronts resources, so it needs a key QName")
        self._dispatch: dict[str, tuple[str, OperationSpec | None]] = {}
        self._by_body: dict[str, tuple[str, OperationSpec | None]] = {}
        self._response_actions: dict[str, str] = {}
        self._build_dispatch()

    # -- deployment hooks -----------------------------------------------------------------
    def create_home(self) -> ResourceHome[Any]:
        """The home for this service's resources (override for persistent homes)."""
        assert self.resource_class is not None
        if self.singleton:
            return SingletonHome(self.resource_class)
        return InMemoryResourceHome(self.resource_class)

    def deployed(self, container: Container) -> None:
        """Called when ``container`` deploys this service, before it starts; a service
        may deploy companion services here (a ServiceGroup deploys its entries' service)."""

    def startup(self) -> None:
        """Called once the container listens; ``self.url`` is final."""

    def shutdown(self) -> None:
        """Called when the container stops."""

    @property
    def port_type_name(self) -> str:
        return self.port_type or f"{type(self).__name__}PortType"

    def epr(self, resource: Resource | None = None) -> EndpointReference:
        """The endpoint reference of this service, or of one of its resources."""
        v = self.dialect.addressing
        if resource is None or resource.key is None or not self.key:
            return EndpointReference(self.url, version=v)
        el = etree.Element(self.key, nsmap={"k": etree.QName(self.key).namespace})
        el.text = resource.key
        if v.reference_properties:
            return EndpointReference(self.url, reference_properties=(el,), version=v)
        return EndpointReference(self.url, reference_parameters=(el,), version=v)

    # -- dispatch table ---------------------------------------------------------------------
    def _build_dispatch(self) -> None:
        for spec in self.operations.values():
            action = spec.action or f"{self.namespace}/{self.port_type_name}/{spec.name}Request"
            entry: tuple[str, OperationSpec | None] = (spec.name, spec)
            self._dispatch[action] = entry
            if spec.binding is not None:
                self._by_body[spec.binding.input.tag] = entry
                if spec.binding.soap_action:
                    self._dispatch.setdefault(spec.binding.soap_action, entry)
                self._response_actions[spec.name] = spec.binding.output_action
                continue
            self._by_body[qname(self.namespace, spec.name)] = entry
            self._response_actions[spec.name] = (
                action[: -len("Request")] + "Response"
                if (action.endswith("Request"))
                else action + "Response"
            )
        if self.wsrf is not None:
            for op in self.wsrf.handlers:
                entry = (op, None)
                self._dispatch[self.dialect.actions[op]] = entry
                tag = (
                    self.dialect.rl_tag(op)
                    if op in ("Destroy", "SetTerminationTime")
                    else self.dialect.rp_tag(op)
                )
                self._by_body[tag] = entry
                self._response_actions[op] = self.dialect.response_actions[op]

    def actions(self) -> dict[str, str]:
        """Operation name -> request action, for every operation of this service."""
        return {entry[0]: action for action, entry in self._dispatch.items()}

    # -- request processing -----------------------------------------------------------------
    def process(
        self,
        data: bytes,
        *,
        soap_action: str | None = None,
        peer: str = "",
        transport: TransportInfo | None = None,
    ) -> Outcome | defer.Deferred[Outcome]:
        """Process one request message; returns the reply (or a Deferred of it).

        ``transport`` tells whether the request came over TLS and who the TLS peer is.
        The reply to a request signed with WS-Security is signed with the host
        credential (and encrypted for the caller when the request was encrypted).
        """
        security = self.security
        if security is None or security.host is None:
            return self._process(data, soap_action, peer, transport, None)
        protection = _Protection()
        outcome = self._process(data, soap_action, peer, transport, protection)
        if isinstance(outcome, defer.Deferred):
            return outcome.addCallback(self._protect, protection)
        return self._protect(outcome, protection)

    def _protect(self, outcome: Outcome, protection: _Protection) -> Outcome:
        verified = protection.verified
        if verified is None:
            return outcome
        assert self.security is not None and self.security.host is not None
        recipient = verified.signer.leaf if verified.encrypted else None
        try:
            body = self.security.host.protect_reply(outcome.body, recipient)
        except Exception:
            log.exception("signing the reply of %s.%s failed", self.name, outcome.operation)
            return self._internal_error(outcome.soap, AddressingHeaders(), None, outcome.guid)
        return Outcome(
            outcome.status, outcome.soap, body, outcome.operation, outcome.guid, outcome.fault
        )

    def _process(
        self,
        data: bytes,
        soap_action: str | None,
        peer: str,
        transport: TransportInfo | None,
        protection: _Protection | None,
    ) -> Outcome | defer.Deferred[Outcome]:
        guid = ""
        version: SoapVersion = SOAP11
        addressing = AddressingHeaders()
        op_name: str | None = None
        try:
            message = parse_envelope(data, self.limits)
            version = message.version
            try:
                addressing = AddressingHeaders.from_header(message.header)
            except AddressingError as exc:
                addressing = AddressingHeaders(version=exc.version)
                raise faults.SenderFault(str(exc), subcode="InvalidAddressingHeader") from None
            guid = addressing.message_id or f"urn:uuid:{uuid.uuid4()}"
            verified = self._verify(message)  # before anything reads the (maybe encrypted) Body
            if verified is not None and protection is not None:
                protection.verified = verified
            body_el = message.body_element
            if body_el is None:
                raise faults.SenderFault("the SOAP Body is empty: expected a request element")
            op_name, spec = self._select(addressing, soap_action, body_el)
            self._check_headers(message, addressing, verified is not None)
            caller = self._authenticate(op_name, transport, verified)
            resource = None
            key = None
            needs_resource = spec is None or spec.resource_param is not None
            if needs_resource:
                key = self._resource_key(message)
                assert self.home is not None
                resource = self.home.find(key)
            ctx = RequestContext(
                self, op_name, version, addressing, message, guid, peer, key, resource, caller
            )
            self._authorize(ctx, spec, resource)
            token = current_identity.set(caller.identity)
            try:
                if spec is None:
                    assert self.wsrf is not None and resource is not None
                    result: Any = self.wsrf.handlers[op_name](resource, body_el)
                    return self._reply(ctx, result)
                args = self._arguments(spec, body_el, ctx, resource)
                method = getattr(self, spec.method)
                if spec.blocking:
                    d = threads.deferToThread(
                        contextvars.copy_context().run, functools.partial(method, **args)
                    )
                    return self._later(d, ctx, spec, resource)
                result = method(**args)
                if inspect.isawaitable(result) or isinstance(result, defer.Deferred):
                    return self._later(_as_deferred(result), ctx, spec, resource)
                return self._finish(ctx, spec, resource, result)
            finally:
                current_identity.reset(token)
        except faults.Fault as fault:
            return self._fault(fault, version, addressing, op_name, guid)
        except Exception:
            return self._internal_error(version, addressing, op_name, guid)

    def _later(
        self,
        d: defer.Deferred[Any],
        ctx: RequestContext,
        spec: OperationSpec,
        resource: Resource | None,
    ) -> defer.Deferred[Outcome]:
        def done(result: Any) -> Outcome:
            try:
                return self._finish(ctx, spec, resource, result)
            except faults.Fault as fault:
                return self._fault(fault, ctx.soap, ctx.addressing, ctx.operation, ctx.guid)
            except Exception:
                return self._internal_error(ctx.soap, ctx.addressing, ctx.operation, ctx.guid)

        def failed(failure: Any) -> Outcome:
            exc = failure.value
            if isinstance(exc, faults.Fault):
                return self._fault(exc, ctx.soap, ctx.addressing, ctx.operation, ctx.guid)
            try:
                failure.raiseException()
            except Exception:
                return self._internal_error(ctx.soap, ctx.addressing, ctx.operation, ctx.guid)
            raise AssertionError("unreachable")  # pragma: no cover

        return d.addCallbacks(done, failed)

    def _finish(
        self, ctx: RequestContext, spec: OperationSpec, resource: Resource | None, result: Any
    ) -> Outcome:
        body = self._response_element(spec, result)
        resource = resource or ctx.resolved
        if (
            resource is not None
            and self.home is not None
            and self.home.get(resource.key) is resource
        ):
            self.home.save(resource)
        return self._reply(ctx, body)

    def _select(
        self, addressing: AddressingHeaders, soap_action: str | None, body_el: Element
    ) -> tuple[str, OperationSpec | None]:
        action = addressing.action
        if action is None and soap_action:
            action = soap_action.strip().strip('"') or None
        if action is not None:
            entry = self._dispatch.get(action)
            if entry is not None:
                return entry
            if addressing.action is not None:
                raise faults.ActionNotSupportedFault(action, self.name)
        entry = self._by_body.get(body_el.tag) if isinstance(body_el.tag, str) else None
        if entry is None:
            if action is not None:
                raise faults.ActionNotSupportedFault(action, self.name)
            name = etree.QName(body_el).localname if isinstance(body_el.tag, str) else "?"
            raise faults.SenderFault(
                f"service {self.name} has no operation for <{name}> "
                f"in namespace {etree.QName(body_el).namespace!r}"
            )
        return entry

    # -- security -------------------------------------------------------------------------
    def _verify(self, message: SoapMessage) -> VerifiedMessage | None:
        """Verify a WS-Security header, if the request has one and we hold a credential."""
        security = self.security
        if security is None or security.host is None or message.header is None:
            return None
        if not any(
            child.tag in _WSSE_SECURITY for child in message.header.iterchildren(etree.Element)
        ):
            return None
        return security.host.verify_message(message.envelope, self._signed_headers)

    def _authenticate(
        self, op_name: str, transport: TransportInfo | None, verified: VerifiedMessage | None
    ) -> Caller:
        """Who calls (the message signer, else the TLS peer); refuses what the
        descriptor requires and the request lacks."""
        t = transport or TransportInfo()
        if t.error is not None:
            raise t.error  # a client chain that does not validate is refused everywhere
        caller = t.caller
        if verified is not None:
            caller = Caller(
                verified.identity,
                caller.transport,
                verified,
                secure_transport=caller.secure_transport,
            )
        security = self.security
        if security is None or not security.enabled:
            return caller
        required = security.for_operation(op_name)
        if required.transport == "https" and not caller.secure_transport:
            raise TransportSecurityFault(
                f"{self.name}.{op_name} requires HTTPS: use the https:// address of the service"
            )
        if required.message != "none" and verified is None:
            raise AuthenticationFault(
                f"{self.name}.{op_name} requires messages signed with WS-Security "
                "(X.509 token profile)"
            )
        if required.message == "encryption" and verified is not None and not verified.encrypted:
            raise AuthenticationFault(
                f"{self.name}.{op_name} requires an encrypted message body (WS-Security)"
            )
        return caller

    def _authorize(
        self, ctx: RequestContext, spec: OperationSpec | None, resource: Resource | None
    ) -> None:
        security = self.security
        if security is None or not security.enabled:
            return
        required = security.for_operation(ctx.operation)
        if not required.allow_limited and ctx.caller.limited:
            raise NotAuthorizedFault(
                f"not authorized: {self.name}.{ctx.operation} needs a full proxy, not a "
                "limited one (create one with 'gridware proxy init' without -limited)"
            )
        required.authorization(ctx.caller, ctx)
        if (
            spec is None
            and ctx.operation in _MODIFYING_WSRF
            and security.resource_access == "creator"
            and resource is not None
            and resource.creator is not None
            and resource.creator != ctx.caller.identity
        ):
            raise NotAuthorizedFault(
                f"not authorized: only the creator of this resource ({resource.creator}) "
                f"may {ctx.operation} it"
            )

    @property
    def _signed_headers(self) -> frozenset[str]:
        """Header blocks a signed request must sign when it carries them."""
        return ADDRESSING_HEADERS | {self.key} if self.key else frozenset(ADDRESSING_HEADERS)

    def understood_headers(self) -> set[str]:
        """Header QNames this service processes (for ``mustUnderstand``)."""
        return {self.key} if self.key else set()

    def _check_headers(
        self, message: SoapMessage, addressing: AddressingHeaders, secured: bool = False
    ) -> None:
        if message.header is None:
            return
        v = message.version
        marked: list[Element] = _MARKED_MUST_UNDERSTAND[v.namespace](message.header)  # type: ignore[assignment]
        if not marked:
            return
        mu = v.tag("mustUnderstand")
        role_attr = v.tag("actor") if v is SOAP11 else v.tag("role")
        roles = _SOAP11_ULTIMATE_ACTORS if v is SOAP11 else _SOAP12_ULTIMATE_ROLES
        understood = self.understood_headers()
        for block in marked:
            if (block.get(mu) or "").strip() not in _MUST_UNDERSTAND_VALUES:
                continue
            if block.get(role_attr) not in roles:
                continue
            uri = etree.QName(block).namespace
            if addressing.version is not None and uri == addressing.version.namespace:
                continue
            if block.tag not in understood and not (secured and block.tag in _WSSE_SECURITY):
                raise faults.MustUnderstandFault(
                    f"header {block.tag} is marked mustUnderstand but service {self.name} "
                    "does not process it"
                )

    def _resource_key(self, message: SoapMessage) -> str | None:
        if self.singleton:
            return None
        assert self.key is not None
        if message.header is not None:
            found = list(message.header.iterchildren(self.key))
            if len(found) > 1:
                raise faults.ResourceUnknownFault(
                    f"the request carries {len(found)} {self.key} headers"
                )
            if found:
                el = found[0]
                if len(el):
                    raise faults.ResourceUnknownFault(f"malformed resource key header {self.key}")
                return (el.text or "").strip()
        raise faults.ResourceUnknownFault(
            f"the request has no resource key header {self.key}: address the resource "
            "with the endpoint reference the service returned"
        )

    # -- message <-> Python ----------------------------------------------------------------
    def _arguments(
        self, spec: OperationSpec, body_el: Element, ctx: RequestContext, resource: Resource | None
    ) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if spec.context_param:
            args[spec.context_param] = ctx
        if spec.resource_param:
            args[spec.resource_param] = resource
        if spec.binding is not None:
            try:
                args.update(spec.binding.input.decode_args(body_el))
            except BindingError as exc:  # the message names the element path
                raise faults.SenderFault(str(exc)) from None
            return args
        if spec.raw:
            args[spec.params[0].name] = body_el
            return args
        children = [c for c in body_el if isinstance(c.tag, str)]
        if (
            len(spec.params) == 1
            and not children
            and spec.params[0].kind == "simple"
            and not spec.params[0].many
        ):
            p = spec.params[0]
            text = body_el.text
            if text is None or (
                not text.strip() and p.simple is not None and p.simple.python_type is not str
            ):
                if not p.optional:
                    raise faults.SenderFault(f"{spec.name}: a value is required")
                return args
            args[p.name] = _convert(p, body_el, spec.name)
            return args
        by_name: dict[str, list[Element]] = {}
        known = {p.name for p in spec.params}
        for child in children:
            local = etree.QName(child).localname
            if local not in known:
                raise faults.SenderFault(f"{spec.name}: unexpected element <{local}>")
            by_name.setdefault(local, []).append(child)
        for p in spec.params:
            els = by_name.get(p.name, [])
            if not els:
                if p.many:
                    args[p.name] = []
                elif not p.optional:
                    raise faults.SenderFault(f"{spec.name}: missing element <{p.name}>")
                continue
            if len(els) > 1 and not p.many:
                raise faults.SenderFault(f"{spec.name}: <{p.name}> may appear only once")
            values = [_convert(p, e, spec.name) for e in els]
            args[p.name] = values if p.many else values[0]
        return args

    def _response_element(self, spec: OperationSpec, result: Any) -> Element | None:
        if spec.binding is not None:
            if spec.binding.output is None:
                return None
            try:
                return spec.binding.output.encode_result(result)
            except BindingError as exc:
                raise faults.ReceiverFault(
                    f"{spec.name} produced a result its WSDL does not allow: {exc}"
                ) from None
        tag = qname(self.namespace, spec.name + "Response")
        if isinstance(result, etree._Element):
            if result.tag == tag:
                return result
            out = etree.Element(tag, nsmap={"tns": self.namespace})
            out.append(result)
            return out
        out = etree.Element(tag, nsmap={"tns": self.namespace})
        if result is None:
            return out
        if isinstance(result, EndpointReference):
            out.append(result.to_element(version=self.dialect.addressing))
        elif isinstance(result, Mapping):
            for k, v in result.items():
                for item in v if isinstance(v, list) else [v]:
                    out.append(_value_element(qname(self.namespace, k), item, self))
        elif spec.returns is not None and spec.returns.simple is not None:
            try:
                out.text = spec.returns.simple.format(result)
            except SimpleTypeError as exc:
                raise faults.ReceiverFault(
                    f"{spec.name} produced an invalid result: {exc}"
                ) from None
        else:
            out.text = _format_any(result)
        return out

    # -- replies ------------------------------------------------------------------------------
    def _reply(self, ctx: RequestContext, body: Element | None) -> Outcome:
        if body is None:  # a one-way operation: HTTP 202, no envelope
            return Outcome(202, ctx.soap, b"", ctx.operation, ctx.guid)
        action = self._response_actions.get(ctx.operation, "")
        data = envelope_bytes(ctx.soap, reply_headers(ctx.addressing, action), etree.tostring(body))
        return Outcome(200, ctx.soap, data, ctx.operation, ctx.guid)

    def _fault(
        self,
        fault: faults.Fault,
        version: SoapVersion,
        addressing: AddressingHeaders,
        op_name: str | None,
        guid: str,
    ) -> Outcome:
        if fault.originator is None and not isinstance(fault, faults.VersionMismatchFault):
            fault.originator = EndpointReference(self.url, version=self.dialect.addressing)
        detail = None
        if fault.code in (faults.SENDER, faults.RECEIVER):
            detail = fault.to_detail(self.dialect, op_name)
        sub_ns = addressing.version.namespace if addressing.version else None
        headers = b""
        if addressing.version is not None:
            headers = reply_headers(addressing, addressing.version.fault_action, fault=True)
        body = etree.tostring(fault_element(version, fault, detail, sub_ns))
        data = envelope_bytes(version, headers, body)
        status = getattr(fault, "http_status", None) or (
            400 if version is not SOAP11 and fault.code == faults.SENDER else 500
        )
        return Outcome(status, version, data, op_name or "", guid, fault)

    def _internal_error(
        self, version: SoapVersion, addressing: AddressingHeaders, op_name: str | None, guid: str
    ) -> Outcome:
        log.exception("internal error in %s.%s guid=%s", self.name, op_name, guid)
        fault = faults.InternalError(
            f"internal error in service {self.name}; the container log has the details "
            f"under guid {guid or 'unknown'}"
        )
        return self._fault(fault, version, addressing, op_name, guid)


@dataclass(slots=True)
class Outcome:
    """The reply to one request."""

    status: int
    soap: SoapVersion
    body: bytes
    operation: str
    guid: str
    fault: faults.Fault | None = None

    @property
    def content_type(self) -> str:
        return f"{self.soap.content_type}; charset=utf-8"


def _as_deferred(result: Any) -> defer.Deferred[Any]:
    if isinstance(result, defer.Deferred):
        return result
    if inspect.iscoroutine(result):
        return defer.Deferred.fromCoroutine(result)

    async def wrap(a: Awaitable[Any]) -> Any:
        return await a

    return defer.Deferred.fromCoroutine(wrap(result))


def _convert(p: _Param, el: Element, op: str) -> Any:
    if p.kind == "element":
        return el
    if p.kind == "epr":
        try:
            return EndpointReference.from_element(el)
        except AddressingError as exc:
            raise faults.SenderFault(f"{op}: <{p.name}>: {exc}") from None
    assert p.simple is not None
    if len(el):
        raise faults.SenderFault(
            f"{op}: <{p.name}> must hold a {p.simple.name} value, not elements"
        )
    try:
        return p.simple.parse(el.text or "")
    except SimpleTypeError as exc:
        raise faults.SenderFault(f"{op}: <{etree.QName(el).localname}>: {exc}") from None


def _format_any(value: Any) -> str:
    if isinstance(value, bool | int | float | Decimal | str | bytes) or hasattr(value, "isoformat"):
        try:
            return simple_type(type(value)).format(value)
        except SimpleTypeError:
            pass
    raise faults.ReceiverFault(f"cannot write a {type(value).__name__} result as XML")


def _value_element(tag: str, value: Any, service: Service) -> Element:
    if isinstance(value, etree._Element):
        return value
    if isinstance(value, EndpointReference):
        return value.to_element(tag, service.dialect.addressing)
    el = etree.Element(tag)
    el.text = _format_any(value)
    return el
