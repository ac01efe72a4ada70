"""WS-RF dialect sets: OASIS WSRF 1.2 and the 2004/06 drafts of Globus Toolkit 4.

A service is deployed in one dialect set.  The set fixes the namespaces of the
WS-ResourceProperties / WS-ResourceLifetime / WS-BaseFaults messages, the
``wsa:Action`` URIs, the fault element names and the WS-Addressing version used
for the endpoint references the service issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridware.container import ns
from gridware.container.addressing import WSA_2004_03, WSA_2005_08, AddressingVersion
from gridware.container.xml import qname

#: The WS-RF operations the container provides for every resource type.
RP_OPERATIONS = (
    "GetResourcePropertyDocument",
    "GetResourceProperty",
    "GetMultipleResourceProperties",
    "QueryResourceProperties",
    "SetResourceProperties",
    "InsertResourceProperties",
    "UpdateResourceProperties",
    "DeleteResourceProperties",
)
RL_OPERATIONS = ("Destroy", "SetTerminationTime")


@dataclass(frozen=True)
class WsrfDialect:
    """The namespaces and URIs of one WS-RF dialect set."""

    name: str
    title: str
    rp: str  # namespace of WS-ResourceProperties elements
    rl: str  # namespace of WS-ResourceLifetime elements
    bf: str  # namespace of WS-BaseFaults elements
    addressing: AddressingVersion
    actions: dict[str, str]  # operation name -> request action
    response_actions: dict[str, str]
    # fault kind -> element QName, where it differs from {rp}Kind
    fault_elements: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    sg: str = ""  # namespace of WS-ServiceGroup elements
    sgw: str = ""  # namespace of the WS-ServiceGroup port types
    # WS-ServiceGroup operation name ("Add") -> request / response action
    sg_actions: dict[str, str] = field(default_factory=dict)
    sg_response_actions: dict[str, str] = field(default_factory=dict)
    wsn: WsnDialect | None = None  # the WS-Notification version that goes with this set

    def rp_tag(self, local: str) -> str:
        return qname(self.rp, local)

    def rl_tag(self, local: str) -> str:
        return qname(self.rl, local)

    def bf_tag(self, local: str) -> str:
        return qname(self.bf, local)

    def sg_tag(self, local: str) -> str:
        return qname(self.sg, local)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_action", {a: op for op, a in self.actions.items()})

    def fault_element(self, kind: str, operation: str | None = None) -> str:
        """The element QName of a fault of ``kind`` raised by ``operation``."""
        if operation in RL_OPERATIONS and f"RL:{kind}" in self.fault_elements:
            return self.fault_elements[f"RL:{kind}"]
        if kind in self.fault_elements:
            return self.fault_elements[kind]
        if kind in _RL_FAULTS:
            return self.rl_tag(kind)
        if kind in _SG_FAULTS:
            return self.sg_tag(kind)
        return self.rp_tag(kind)

    def operation_for_action(self, action: str) -> str | None:
        by_action: dict[str, str] = self.__dict__["_by_action"]
        return by_action.get(action)

    def operation_for_body(self, tag: str) -> str | None:
        """Map a request body element to an operation (the fallback when there is no action)."""
        uri, _, local = tag[1:].partition("}")
        if uri == self.rp and local in RP_OPERATIONS:
            return local
        if uri == self.rl and local in RL_OPERATIONS:
            return local
        return None


@dataclass(frozen=True)
class WsnDialect:
    """The namespaces and URIs of one WS-Notification version.

    WS-BaseNotification 1.3 with WS-Topics 1.3 (OASIS, 2006) goes with WSRF 1.2;
    the 2004/06 drafts (WS-BaseNotification 1.2 draft-01) with Globus Toolkit 4.
    """

    name: str
    b: str  # namespace of WS-BaseNotification elements
    t: str  # namespace of WS-Topics elements
    #: topic expression dialect URIs: "simple", "concrete", "full"
    topic_dialects: dict[str, str]
    actions: dict[str, str]  # operation name -> request action
    response_actions: dict[str, str]
    #: other request actions accepted for an operation (WSN 1.3 names Renew and
    #: Unsubscribe under both SubscriptionManager and PausableSubscriptionManager)
    alias_actions: dict[str, str] = field(default_factory=dict)
    #: fault kind -> local name of its element in ``b``, where the two differ
    fault_names: dict[str, str] = field(default_factory=dict)

    def b_tag(self, local: str) -> str:
        return qname(self.b, local)

    def t_tag(self, local: str) -> str:
        return qname(self.t, local)

    def fault_element(self, kind: str) -> str:
        return qname(self.b, self.fault_names.get(kind, kind))


def _wsn13_actions() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    base = "http://docs.oasis-open.org/wsn/bw-2"
    port_types = {
        "Notify": "NotificationConsumer",
        "Subscribe": "NotificationProducer",
        "GetCurrentMessage": "NotificationProducer",
        "Renew": "SubscriptionManager",
        "Unsubscribe": "SubscriptionManager",
        "PauseSubscription": "PausableSubscriptionManager",
        "ResumeSubscription": "PausableSubscriptionManager",
    }
    req, resp, alias = {}, {}, {}
    for op, port_type in port_types.items():
        if op == "Notify":  # one-way
            req[op] = f"{base}/{port_type}/Notify"
            continue
        req[op] = f"{base}/{port_type}/{op}Request"
        resp[op] = f"{base}/{port_type}/{op}Response"
    for op in ("Renew", "Unsubscribe"):
        alias[f"{base}/PausableSubscriptionManager/{op}Request"] = op
    return req, resp, alias


def _wsn_draft_actions() -> tuple[dict[str, str], dict[str, str]]:
    base = "http://docs.oasis-open.org/wsn/2004/06/wsn-WS-BaseNotification"
    req, resp = {}, {}
    ops = ("Notify", "Subscribe", "GetCurrentMessage", "PauseSubscription", "ResumeSubscription")
    for op in ops:
        req[op] = f"{base}/{op}"
        if op != "Notify":
            resp[op] = f"{base}/{op}Response"
    return req, resp


_nreq, _nresp, _nalias = _wsn13_actions()
WSN_1_3 = WsnDialect(
    name="wsn-1.3",
    b=ns.WSN_B,
    t=ns.WSN_T,
    topic_dialects={
        "simple": ns.WSN_T + "/TopicExpression/Simple",
        "concrete": ns.WSN_T + "/TopicExpression/Concrete",
        "full": ns.WSN_T + "/TopicExpression/Full",
    },
    actions=_nreq,
    response_actions=_nresp,
    alias_actions=_nalias,
)

_dreq, _dresp = _wsn_draft_actions()
WSN_DRAFT = WsnDialect(
    name="wsn-2004-06",
    b=ns.GT4_WSN_B,
    t=ns.GT4_WSN_T,
    topic_dialects={
        "simple": "http://docs.oasis-open.org/wsn/2004/06/TopicExpression/Simple",
        "concrete": "http://docs.oasis-open.org/wsn/2004/06/TopicExpression/Concrete",
        "full": "http://docs.oasis-open.org/wsn/2004/06/TopicExpression/Full",
    },
    actions=_dreq,
    response_actions=_dresp,
    # the drafts have fewer faults: the nearest one they define stands in
    fault_names={
        "TopicExpressionDialectUnknownFault": "TopicPathDialectUnknownFault",
        "MultipleTopicsSpecifiedFault": "InvalidTopicExpressionFault",
        "InvalidFilterFault": "SubscribeCreationFailedFault",
        "InvalidMessageContentExpressionFault": "SubscribeCreationFailedFault",
        "InvalidProducerPropertiesExpressionFault": "SubscribeCreationFailedFault",
        "UnacceptableInitialTerminationTimeFault": "SubscribeCreationFailedFault",
        "UnrecognizedPolicyRequestFault": "SubscribeCreationFailedFault",
        "UnsupportedPolicyRequestFault": "SubscribeCreationFailedFault",
        "NotifyMessageNotSupportedFault": "SubscribeCreationFailedFault",
    },
)


_RL_FAULTS = {
    "ResourceNotDestroyedFault",
    "UnableToSetTerminationTimeFault",
    "TerminationTimeChangeRejectedFault",
}
_SG_FAULTS = {
    "ContentCreationFailedFault",
    "UnsupportedMemberInterfaceFault",
    "AddRefusedFault",
}


def _oasis_actions() -> tuple[dict[str, str], dict[str, str]]:
    req, resp = {}, {}
    for op in RP_OPERATIONS:
        req[op] = f"{ns.WSRF_RPW}/{op}/{op}Request"
        resp[op] = f"{ns.WSRF_RPW}/{op}/{op}Response"
    req["Destroy"] = f"{ns.WSRF_RLW}/ImmediateResourceTermination/DestroyRequest"
    resp["Destroy"] = f"{ns.WSRF_RLW}/ImmediateResourceTermination/DestroyResponse"
    for suffix, d in (("Request", req), ("Response", resp)):
        d["SetTerminationTime"] = (
            f"{ns.WSRF_RLW}/ScheduledResourceTermination/SetTerminationTime{suffix}"
        )
    return req, resp


def _gt4_actions() -> tuple[dict[str, str], dict[str, str]]:
    rp = "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ResourceProperties"
    rl = "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ResourceLifetime"
    req, resp = {}, {}
    for op in RP_OPERATIONS:
        req[op] = f"{rp}/{op}"
        resp[op] = f"{rp}/{op}Response"
    for op in RL_OPERATIONS:
        req[op] = f"{rl}/{op}"
        resp[op] = f"{rl}/{op}Response"
    return req, resp


_oreq, _oresp = _oasis_actions()
WSRF_1_2 = WsrfDialect(
    name="wsrf-1.2",
    title="OASIS WSRF 1.2 with WS-Addressing 2005/08",
    rp=ns.WSRF_RP,
    rl=ns.WSRF_RL,
    bf=ns.WSRF_BF,
    addressing=WSA_2005_08,
    actions=_oreq,
    response_actions=_oresp,
    fault_elements={
        "ResourceUnknownFault": qname(ns.WSRF_R, "ResourceUnknownFault"),
        "ResourceUnavailableFault": qname(ns.WSRF_R, "ResourceUnavailableFault"),
        "BaseFault": qname(ns.WSRF_BF, "BaseFault"),
    },
    aliases=("wsrf12", "oasis", "1.2"),
    sg=ns.WSRF_SG,
    sgw=ns.WSRF_SGW,
    sg_actions={"Add": f"{ns.WSRF_SGW}/ServiceGroupRegistration/AddRequest"},
    sg_response_actions={"Add": f"{ns.WSRF_SGW}/ServiceGroupRegistration/AddResponse"},
    wsn=WSN_1_3,
)

_greq, _gresp = _gt4_actions()
_SG_DRAFT_ACTIONS = "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ServiceGroup-1.2"
GT4 = WsrfDialect(
    name="gt4",
    title="WSRF 2004/06 drafts of Globus Toolkit 4 with WS-Addressing 2004/03",
    rp=ns.GT4_RP,
    rl=ns.GT4_RL,
    bf=ns.GT4_BF,
    addressing=WSA_2004_03,
    actions=_greq,
    response_actions=_gresp,
    fault_elements={
        "ResourceUnknownFault": qname(ns.GT4_RP, "ResourceUnknownFault"),
        "RL:ResourceUnknownFault": qname(ns.GT4_RL, "ResourceUnknownFault"),
        "ResourceUnavailableFault": qname(ns.GT4_RP, "ResourceUnknownFault"),
        "InvalidModificationFault": qname(
            ns.GT4_RP, "InvalidSetResourcePropertiesRequestContentFault"
        ),
        "BaseFault": qname(ns.GT4_BF, "BaseFault"),
    },
    aliases=("draft", "wsrf-draft", "draft-2004-06", "gt4.0"),
    sg=ns.GT4_SG,
    sgw=ns.GT4_SGW,
    # as GT4's WS-ServiceGroup.wsdl writes them (not derived from the namespace)
    sg_actions={"Add": f"{_SG_DRAFT_ACTIONS}/Add"},
    sg_response_actions={"Add": f"{_SG_DRAFT_ACTIONS}/AddResponse"},
    wsn=WSN_DRAFT,
)

DIALECTS: tuple[WsrfDialect, ...] = (WSRF_1_2, GT4)


def wsrf_dialect(spec: str | WsrfDialect) -> WsrfDialect:
    """Find a dialect set by object, name or alias (``"wsrf-1.2"``, ``"gt4"``)."""
    if isinstance(spec, WsrfDialect):
        return spec
    for d in DIALECTS:
        if spec == d.name or spec in d.aliases:
            return d
    names = ", ".join(d.name for d in DIALECTS)
    raise ValueError(f"unknown WS-RF dialect {spec!r}; choose one of: {names}")


def dialect_for_addressing(version: AddressingVersion) -> WsrfDialect:
    """The dialect set that normally goes with a WS-Addressing version.

    Only Globus Toolkit 4 used the March 2004 version, so that means the drafts;
    anything newer means WSRF 1.2.
    """
    return GT4 if version is WSA_2004_03 else WSRF_1_2
