"""A singleton service whose resource properties describe the container.

Implemented on the stubs generated from ``version.wsdl`` (WSRF 1.2) and
``version-gt4.wsdl`` (Globus Toolkit 4 drafts).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from gridware import __version__
from gridware.container import RequestContext, ResourceProperty, Service
from gridware.services.samples.generated.version.server import (
    VersionPortTypeService,
    VersionResource,
)
from gridware.services.samples.generated.version_gt4.server import (
    VersionPortTypeService as GT4VersionPortTypeService,
)
from gridware.services.samples.generated.version_gt4.server import (
    VersionResource as GT4VersionResource,
)

VERSION_NS = "http://gridware.org/samples/version"


class ContainerInfo(VersionResource):
    """The version of gridware, when the container started and where it runs."""

    version = ResourceProperty(f"{{{VERSION_NS}}}Version", "string", default=__version__)


class GT4ContainerInfo(GT4VersionResource):
    version = ResourceProperty(f"{{{VERSION_NS}}}Version", "string", default=__version__)


class VersionLogic(Service):
    """The singleton's behaviour, for either generated stub."""

    singleton = True

    def startup(self) -> None:
        assert self.home is not None
        info = self.home.find(None)
        info.start_time = datetime.now(UTC)
        info.hostname = socket.gethostname()

    def getVersion(self, context: RequestContext) -> str:
        """The gridware version of this container."""
        return __version__


class VersionService(VersionLogic, VersionPortTypeService):
    """The container's version and start time (OASIS WSRF 1.2)."""

    resource_class = ContainerInfo
    wsdl = "version.wsdl"


class GT4VersionService(VersionLogic, GT4VersionPortTypeService):
    """The container's version and start time (Globus Toolkit 4 drafts)."""

    resource_class = GT4ContainerInfo
    wsdl = "version-gt4.wsdl"
