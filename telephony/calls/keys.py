"""The keys a caller pressed, kept in order until the flow reads them (key-ahead)."""

from __future__ import annotations

import asyncio
from collections import deque


class KeyBuffer:
    def __init__(self) -> None:
        self._keys: deque[str] = deque()
        self._arrived = asyncio.Event()

    def push(self, key: str) -> None:
        self._keys.append(key)
        self._arrived.set()

    def peek(self) -> str | None:
        return self._keys[0] if self._keys else None

    def pop(self) -> str | None:
        return self._keys.popleft() if self._keys else None

    def clear(self) -> None:
        self._keys.clear()

    async def wait(self) -> str:
        """Wait until a key is buffered; return it without taking it."""
        while not self._keys:
            self._arrived.clear()
            await self._arrived.wait()
        return self._keys[0]

    async def take(self, timeout: float) -> str | None:
        if self._keys:
            return self._keys.popleft()
        if timeout <= 0:
            return None
        try:
            await asyncio.wait_for(self.wait(), timeout)
        except TimeoutError:
            return None
        return self.pop()
