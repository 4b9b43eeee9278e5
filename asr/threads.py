"""The threads that decode callers' speech live: as many as the cores, below the event loop, the
menu first.

Why not `asyncio.to_thread`: the event loop's default executor (cores + 4 threads) is shared with
the database calls of every call in progress. With a hundred reporting callers on two cores
(bench/report_load.py), six decodes at once filled it and starved the loop itself: the database
calls waited behind speech, ARI's keepalive pings went unanswered, and 184 of 456 calls failed
(issue 18). Here:
- the threads are the process's own, one per core (more only share the cores: bench/RESULTS.md);
- they run at the event loop's own priority (nice 0): at +5 they were starved by Asterisk's many
  channel threads on a busy machine, and with forty reporting callers on two cores only 18 of 166
  messages were transcribed live (bench/RESULTS.md); the background transcription of stored
  messages runs lower (+10);
- urgent work goes first: a caller at the menu waits for an answer, a caller leaving a message
  does not (their words are needed when they hang up, and a recognizer that falls behind catches
  up, or the stored recording is transcribed instead).
Threads are started on the first decode, not when the pool is made.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

URGENT, NORMAL = 0, 1
NICE = 0  # settable per pool (`nice=`), e.g. below the loop on a machine of many cores

_Work = tuple[int, int, Callable[..., Any] | None, tuple[Any, ...], "Future[Any] | None"]


class DecodeThreads:
    def __init__(self, threads: int = 0, *, nice: int = NICE) -> None:
        self.size = threads or os.cpu_count() or 1
        self.nice = nice
        self._queue: queue.PriorityQueue[_Work] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> int:
        """Threads running now (none before the first decode)."""
        return sum(1 for thread in self._threads if thread.is_alive())

    @property
    def waiting(self) -> int:
        """Decodes queued and not started: above zero for long, the cores are behind the callers."""
        return self._queue.qsize()

    def submit(self, fn: Callable[..., T], *args: Any, urgent: bool = False) -> Future[T]:
        """Run `fn(*args)` on one of the threads; urgent work before the rest, each in its order."""
        if self._closed:
            raise RuntimeError("the decoding threads are closed")
        self._start()
        future: Future[T] = Future()
        self._queue.put((URGENT if urgent else NORMAL, next(self._order), fn, args, future))
        return future

    def close(self) -> None:
        """Let the threads finish what is queued, then end (daemon threads: never blocks exit)."""
        self._closed = True
        for _ in self._threads:
            self._queue.put((NORMAL + 1, next(self._order), None, (), None))

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self.size:
                thread = threading.Thread(target=self._run, name=f"speech-live-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # this thread's own priority (Linux)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        while True:
            _rank, _order, fn, args, future = self._queue.get()
            if fn is None or future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever waits for it
                future.set_exception(exc)


@cache
def shared_decode_threads() -> DecodeThreads:
    """The process's one pool (made on first use): every live stream of the process shares it."""
    return DecodeThreads()
