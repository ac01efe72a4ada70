"""gridware: build, host and call grid services.

The package is organised by architecture layer (see DESIGN.md):

- :mod:`gridware.container`: SOAP, WS-Addressing, WS-RF and hosting on Twisted
- :mod:`gridware.wsdl`: the shipped standard schemas and our services' WSDLs
- :mod:`gridware.services`: services built on the container (demo samples, ...)
- :mod:`gridware.clients`: the high-level client API and the ``gridware`` command
"""

__version__ = "0.1.0"
