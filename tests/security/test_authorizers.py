"""The container's authorization policies and security descriptors, one by one."""

from __future__ import annotations

import pytest

from gridware.container.security import (
    Caller,
    CalloutAuthorization,
    HostAuthorization,
    IdentityAuthorization,
    NotAuthorizedFault,
    SecurityConfigError,
    SelfAuthorization,
    ServiceSecurity,
)
from gridware.security import GridMap

HOST = "/O=Grid/OU=Site/CN=host/node1.example.org"
ALICE = "/O=Grid/OU=Site/CN=Alice"


def test_self_admits_only_the_containers_identity():
    policy = SelfAuthorization(HOST)
    policy(Caller(HOST), None)
    with pytest.raises(NotAuthorizedFault, match="is not this container"):
        policy(Caller(ALICE), None)
    with pytest.raises(NotAuthorizedFault, match="no authenticated identity"):
        policy(Caller(), None)


def test_host_admits_host_credentials_of_this_host_only():
    policy = HostAuthorization(HOST)
    policy(Caller("/O=Other/CN=node1.example.org"), None)  # host/ prefix is optional
    with pytest.raises(NotAuthorizedFault, match="not a host credential"):
        policy(Caller("/O=Grid/OU=Site/CN=host/node2.example.org"), None)
    with pytest.raises(NotAuthorizedFault, match="not a host credential"):
        policy(Caller("/O=Grid/OU=Site"), None)
    with pytest.raises(NotAuthorizedFault):
        policy(Caller(), None)


def test_identity_list():
    policy = IdentityAuthorization((ALICE,))
    policy(Caller(ALICE), None)
    with pytest.raises(NotAuthorizedFault):
        policy(Caller(ALICE + "/CN=12345"), None)  # a proxy subject is not the identity


def test_a_callout_must_say_true():
    def allow_alice(caller, context):
        return caller.identity == ALICE

    def broken(caller, context):
        raise KeyError("oops")

    CalloutAuthorization(allow_alice, "m:allow_alice")(Caller(ALICE), None)
    with pytest.raises(NotAuthorizedFault, match="m:allow_alice"):
        CalloutAuthorization(allow_alice, "m:allow_alice")(Caller(HOST), None)
    with pytest.raises(NotAuthorizedFault, match="callout failed"):
        CalloutAuthorization(broken, "m:broken")(Caller(ALICE), None)
    # truthy is not enough: only True admits
    with pytest.raises(NotAuthorizedFault):
        CalloutAuthorization(lambda c, x: "yes", "m:yes")(Caller(ALICE), None)


def test_a_callout_is_loaded_from_its_spec():
    class Host:
        identity = HOST
        gridmap = None

    sec = ServiceSecurity.from_config(
        {"authorization": "callout", "callout": "os.path:isabs"},
        Host(),
        "S",  # type: ignore[arg-type]
    )
    assert sec.default.authorization.name == "callout"
    for bad in ({"callout": "nosuchmodule:f"}, {"callout": "os.path"}, {"callout": "os:sep"}):
        with pytest.raises(SecurityConfigError):
            ServiceSecurity.from_config({"authorization": "callout", **bad}, Host(), "S")  # type: ignore[arg-type]


def test_descriptor_errors_name_the_setting(tmp_path):
    class Host:
        identity = HOST
        gridmap = None

    host = Host()
    cases = {
        "transport must be one of": {"transport": "tls"},
        "message must be one of": {"message": "sign"},
        "needs identity": {"authorization": "identity"},
        "needs gridmap": {"authorization": "gridmap"},
        "resource_access must be one of": {"resource_access": "everyone"},
        "operations.op: unknown": {"operations": {"op": {"resource_access": "any"}}},
        "operations.op must be a table": {"operations": {"op": "none"}},
    }
    for message, table in cases.items():
        with pytest.raises(SecurityConfigError, match=message):
            ServiceSecurity.from_config(table, host, "S")  # type: ignore[arg-type]
    gridmap = tmp_path / "grid-mapfile"
    gridmap.write_text(f'"{ALICE}" alice\n')
    sec = ServiceSecurity.from_config(
        {"authorization": "gridmap", "gridmap": str(gridmap)},
        host,  # type: ignore[arg-type]
        "S",
    )
    caller = Caller(ALICE)
    sec.for_operation("any").authorization(caller, None)
    assert caller.local_user == "alice"
    assert isinstance(GridMap.load(gridmap), GridMap)


def test_no_policy_means_no_host_credential_is_needed():
    assert not ServiceSecurity.from_config({}, None, "S").enabled
    with pytest.raises(SecurityConfigError, match=r"\[container.security\]"):
        ServiceSecurity.from_config({"authorization": "self"}, None, "S")
