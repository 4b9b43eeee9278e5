"""How often an Open311 client may ask: each key (or, without one, each address) has a budget of
requests a minute, refilled as time passes (a token bucket). A client over it is answered 429
with Retry-After, in Open311's error format.

Kept in the process's memory: cheap, no shared store needed (the embedded mode has no Redis);
with several API processes each keeps its own count, so a client gets at most the budget times
the number of processes, still bounded (issue 16's trial found no limit at all).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable

MAX_CLIENTS = 10_000  # remembered at once; the longest idle are forgotten first


class RateLimiter:
    def __init__(self, per_minute: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, client: str) -> int:
        """Take one request from the client's budget: 0 if allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return 0
        now = self.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / rate))
            self._buckets[client] = (tokens - 1, now)  # (re-inserted: the dict keeps recent last)
            while len(self._buckets) > MAX_CLIENTS:
                del self._buckets[next(iter(self._buckets))]
        return 0


def client_of(api_key: str | None, address: str | None) -> str:
    """Whom a request counts against: its key (by digest), or its address."""
    if api_key:
        return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]
    return "addr:" + (address or "unknown")
