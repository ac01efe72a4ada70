"""High-level clients and the ``gridware`` command line.

- :class:`gridware.clients.wsrf.WsrfClient`: WS-RF operations on any resource
- :class:`gridware.clients.counter.CounterClient`: the demo counter
"""

from gridware.clients.counter import CounterClient
from gridware.clients.wsrf import AsyncWsrfClient, WsrfClient

__all__ = ["AsyncWsrfClient", "CounterClient", "WsrfClient"]
