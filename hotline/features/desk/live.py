"""Messages out to the agents' pages: one bounded queue per open page (WebSocket).

An agent may have the page open twice (two tabs, a reload before the old socket closed): every
open page gets every message. A page that does not read (a frozen tab) loses its oldest
messages, not the others' — and each state message is complete, so the next one repairs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from hotline.pages.messages import LiveMessage


class DeskLive:
    def __init__(self, maxsize: int = 200) -> None:
        self.maxsize = maxsize
        self.pages: dict[str, set[asyncio.Queue[str]]] = {}
        self.sent = 0

    @contextlib.contextmanager
    def page(self, username: str) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(self.maxsize)
        self.pages.setdefault(username, set()).add(queue)
        try:
            yield queue
        finally:
            pages = self.pages.get(username)
            if pages is not None:
                pages.discard(queue)
                if not pages:
                    del self.pages[username]

    def push(self, username: str, message: LiveMessage) -> None:
        pages = self.pages.get(username)
        if not pages:
            return
        text = message.model_copy(update={"sent_at": time.time()}).model_dump_json()
        for queue in list(pages):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(text)
            self.sent += 1

    def open_pages(self, username: str) -> int:
        return len(self.pages.get(username, ()))
