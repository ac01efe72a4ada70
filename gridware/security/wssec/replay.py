"""A bounded, thread-safe cache of the signed messages already accepted."""

from __future__ import annotations

import hashlib
import heapq
import threading
from datetime import datetime

from gridware.security.wssec.errors import ReplayedMessageError

DEFAULT_MAX_ENTRIES = 100_000


class ReplayCache:
    """Remembers each accepted message until its timestamp expires.

    A message is known by a digest of its signature value and its Timestamp
    (Created, Expires): a replay carries the same signature, and a fresh message
    from the same sender has a new Timestamp, hence a new signature.

    At most ``max_entries`` messages are remembered.  When it is full the entry
    closest to expiry is dropped, and from then on any message expiring no later
    than a dropped one is refused (it might be a replay that can no longer be
    recognized): the cache never forgets silently, it fails closed, and it only
    refuses messages at the old end of the validity window.

    One cache may (should) be shared by every verifier of a process, so a message
    cannot be replayed to another service of the same container.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("a replay cache needs room for at least one message")
        self.max_entries = max_entries
        self._expiry: dict[bytes, float] = {}
        self._heap: list[tuple[float, bytes]] = []
        self._forgotten_until = float("-inf")
        self._lock = threading.Lock()

    @staticmethod
    def key(signature_value: bytes, created: datetime, expires: datetime) -> bytes:
        """The cache key of a message."""
        digest = hashlib.sha256(signature_value)
        digest.update(b"\0" + created.isoformat().encode() + b"\0" + expires.isoformat().encode())
        return digest.digest()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def seen(self, key: bytes, now: datetime) -> bool:
        """Was this message accepted before (and not yet expired)?"""
        with self._lock:
            expiry = self._expiry.get(key)
            return expiry is not None and expiry > now.timestamp()

    def add(self, key: bytes, expires: datetime, now: datetime) -> None:
        """Remember a message until ``expires``; :class:`ReplayedMessageError` if it is known.

        Check and insertion are one atomic step, so of two copies of a message
        verified at the same time exactly one is accepted.
        """
        until, current = expires.timestamp(), now.timestamp()
        with self._lock:
            self._purge(current)
            if key in self._expiry:
                raise ReplayedMessageError("this message was already received (replay)")
            if until <= self._forgotten_until:
                raise ReplayedMessageError(
                    "this message is too old to be checked for replay (the replay cache is "
                    "full); send a fresh message"
                )
            if until <= current:
                return  # already expired: it can never be accepted again anyway
            while len(self._expiry) >= self.max_entries:
                dropped_until, dropped = heapq.heappop(self._heap)
                del self._expiry[dropped]
                self._forgotten_until = max(self._forgotten_until, dropped_until)
            self._expiry[key] = until
            heapq.heappush(self._heap, (until, key))

    def _purge(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, key = heapq.heappop(heap)
            del self._expiry[key]
