"""The default index inside an embedded container: resources created in the thread pool
register through the reactor, services deployed after the start register too, and a
container without services still has its index.
"""

from __future__ import annotations

import time

from gridware.clients.servicegroup import IndexClient
from gridware.container import (
    EndpointReference,
    Resource,
    ResourceProperty,
    Service,
    embed,
    operation,
)

NS = "urn:gridware:test:jobs"


class Job(Resource):
    namespace = NS
    document = "JobProperties"
    state = ResourceProperty("State", "string", default="Pending", modifiable=True)


class JobService(Service):
    """Jobs made in the thread pool (a blocking operation), registered in the index."""

    namespace = NS
    resource_class = Job
    key = f"{{{NS}}}JobKey"
    index_resources = True

    @operation(blocking=True)
    def submit(self) -> EndpointReference:
        assert self.home is not None
        return self.epr(self.home.create(state="Queued"))


class Quiet(Service):
    """A stateless service deployed while the container runs."""

    namespace = NS

    @operation
    def ping(self) -> str:
        return "pong"


def _eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def _submit(url: str) -> EndpointReference:
    from lxml import etree

    from gridware.container.client import SoapClient

    reply = SoapClient(url).call(
        f"{NS}/JobServicePortType/submitRequest", etree.Element(f"{{{NS}}}submit")
    )
    return EndpointReference.from_element(reply[0])


def test_resources_made_in_the_thread_pool_and_late_services_register():
    with embed.hosted(JobService("Jobs")) as container:
        index = IndexClient(container.base_url + "/wsrf/services/DefaultIndexService")
        assert index.services() == ["Jobs"]
        job = _submit(container.services["Jobs"].url)
        key = job.reference(f"{{{NS}}}JobKey")
        found = _eventually(
            lambda: index.query("//j:JobProperties/j:State/text()", {"j": NS}) == "Queued"
        )
        assert found
        members = [e.member for e in index.entries() if e.member is not None]
        assert key in [m.reference(f"{{{NS}}}JobKey") for m in members]
        embed.call(container.deploy, Quiet("Quiet"))
        assert sorted(index.services()) == ["Jobs", "Quiet"]
        # the resource's entry goes with it
        embed.call(container.services["Jobs"].home.destroy, key)
        assert index.query("count(//j:JobProperties)", {"j": NS}) == "0"


def test_the_index_can_be_left_out_of_an_embedded_container():
    with embed.hosted(Quiet("Alone"), index=False) as container:
        assert container.index is None
        assert "DefaultIndexService" not in container.services
