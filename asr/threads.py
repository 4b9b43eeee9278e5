"""The threads that decode callers' speech live: one per core but one, below the event loop, the
menu first.

Why not `asyncio.to_thread`: the event loop's default executor (cores + 4 threads) is shared with
the database calls of every call in progress. With a hundred reporting callers on two cores
(bench/report_load.py), six decodes at once filled it and starved the loop itself: the database
calls waited behind speech, ARI's keepalive pings went unanswered, and 184 of 456 calls failed
(issue 18). Here:
- the threads are the process's own, one per core but one (at least one): more only share the
  cores (bench/RESULTS.md), and with one per core, both always busy under a hundred reporting
  callers on two cores, the event loop, Asterisk and PostgreSQL waited for the cores: the loop
  stood still for seconds and 10 of 414 calls failed (issue 18);
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
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

URGENT, NORMAL, BACKGROUND = 0, 1, 2  # the menu, a message on the line, stored recordings and warming
_CLOSE = 9
NICE = 0  # settable per pool (`nice=`), e.g. below the loop on a machine of many cores

_Work = tuple[int, int, Callable[..., Any] | None, tuple[Any, ...], "Future[Any] | None"]


class DecodeThreads:
    def __init__(self, threads: int = 0, *, nice: int = NICE) -> None:
        self.size = threads or max(1, (os.cpu_count() or 1) - 1)
        self.nice = nice
        self._queue: queue.PriorityQueue[_Work] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._callers_queued: dict[int, float] = {}  # callers' decodes not started: order -> when queued

    @property
    def started(self) -> int:
        """Threads running now (none before the first decode)."""
        return sum(1 for thread in self._threads if thread.is_alive())

    @property
    def waiting(self) -> int:
        """Callers' decodes queued and not started (stored messages waiting behind them do not
        count: they wait by design)."""
        with self._lock:
            return len(self._callers_queued)

    @property
    def behind_s(self) -> float:
        """How long the oldest caller's decode has waited for a thread: how far the callers' words
        are behind their voices. Not the number queued: each live stream queues its audio every
        tenth of a second, so twelve streams kept up with had "8 decodes waiting" and new calls
        were refused a live stream while the thread had time to spare (issue 18)."""
        with self._lock:
            oldest = min(self._callers_queued.values(), default=None)
        return 0.0 if oldest is None else max(0.0, time.monotonic() - oldest)

    def submit(self, fn: Callable[..., T], *args: Any, urgent: bool = False, rank: int | None = None) -> Future[T]:
        """Run `fn(*args)` on one of the threads; urgent work before the rest, background work
        after everything else (`rank`), each in its order."""
        if self._closed:
            raise RuntimeError("the decoding threads are closed")
        self._start()
        future: Future[T] = Future()
        rank = (URGENT if urgent else NORMAL) if rank is None else rank
        order = next(self._order)
        if rank < BACKGROUND:
            with self._lock:
                self._callers_queued[order] = time.monotonic()
        self._queue.put((rank, order, fn, args, future))
        return future

    def in_background(self, fn: Callable[[], T]) -> T:
        """Run `fn` after every caller's decoding waiting, and wait for it (from any thread but the
        event loop's). Stored messages and the warming of recognizers are decoded so, in short
        pieces (`SpeechEngine.transcribe_wav(step=...)`): a caller on the line never waits more
        than a piece behind them, and no thread runs below the others' priority holding the GIL
        (at nice +10 the background transcription, doing its screening's Python, stalled the
        event loop for seconds with a hundred callers: bench/RESULTS.md, issue 18)."""
        return self.submit(fn, rank=BACKGROUND).result()

    def close(self) -> None:
        """Let the threads finish what is queued, then end (daemon threads: never blocks exit)."""
        self._closed = True
        for _ in self._threads:
            self._queue.put((_CLOSE, next(self._order), None, (), None))

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
            rank, order, fn, args, future = self._queue.get()
            if rank < BACKGROUND:
                with self._lock:
                    self._callers_queued.pop(order, None)
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
