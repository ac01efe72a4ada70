"""A singleton service whose resource properties describe the container."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from gridware import __version__
from gridware.container import Resource, ResourceProperty, Service, operation

VERSION_NS = "http://gridware.org/samples/version"


class ContainerInfo(Resource):
    """The version of gridware, when the container started and where it runs."""

    namespace = VERSION_NS
    document = "VersionResourceProperties"

    version = ResourceProperty("Version", "string", default=__version__)
    start_time = ResourceProperty("StartTime", "dateTime")
    hostname = ResourceProperty("Hostname", "string")


class VersionService(Service):
    """The container's version and start time, as resource properties of a singleton."""

    namespace = VERSION_NS
    port_type = "VersionPortType"
    resource_class = ContainerInfo
    singleton = True
    wsdl = {"wsrf-1.2": "version.wsdl", "gt4": "version-gt4.wsdl"}

    def startup(self) -> None:
        assert self.home is not None
        info = self.home.find(None)
        info.start_time = datetime.now(UTC)
        info.hostname = socket.gethostname()

    @operation
    def getVersion(self) -> str:
        """The gridware version of this container."""
        return __version__
