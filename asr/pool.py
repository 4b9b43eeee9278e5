"""Recognizers shared by every stream of a process, kept warm.

A Vosk recognizer of a "small" (lookahead) model composes its decoding graph lazily and keeps what
it has composed: a fresh one spends about four times the CPU of a used one on the same speech
(3.3 s against 0.8 s for a 10 s report, 1.4 s against 0.2 s for a word; bench/RESULTS.md,
issue 18). So a recognizer is lent for one utterance and handed back after its final result,
to serve the next caller who speaks. A final result rebuilds the recognizer's feature pipeline,
so no speaker adaptation passes from one caller to the next; what carries over is its clock: its
word times count from the first sample it ever decoded, so a lease remembers where it began.

Memory is what a warm recognizer costs (about 25 MB after a word, 80 MB after 30 s of speech):
the pool keeps at most `keep_idle` idle ones of a kind, and retires one that has decoded
`RETIRE_AFTER_S` of audio (its graph cache only grows). Recognizers are not thread-safe: one is
used by one stream at a time, under the stream's lock. There is one pool per model and process
(`shared_pool`), whatever builds engines on it, and it can be warmed at start (`prime`) with any
speech, so the first callers of the day do not pay for the warming.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asr.model import LoadedModel

PoolKey = tuple[int, tuple[str, ...] | None]
Step = Callable[[Callable[[], Any]], Any]  # runs one piece of decoding somewhere, and returns its result


def run_here(piece: Callable[[], Any]) -> Any:
    """The default `Step`: decode in the calling thread."""
    return piece()


RETIRE_AFTER_S = 1800.0


@dataclass(eq=False)
class Recognizer:
    """A Vosk recognizer and how much audio it has decoded in its life (its clock)."""

    vosk: Any
    rate: int
    grammar: tuple[str, ...] | None
    fed: int = 0  # samples

    @property
    def clock_s(self) -> float:
        return self.fed / self.rate


class RecognizerPool:
    def __init__(self, model: LoadedModel, *, keep_idle: int = 8) -> None:
        self.model = model
        self.keep_idle = keep_idle
        self._idle: dict[PoolKey, list[Recognizer]] = defaultdict(list)
        self._lock = threading.Lock()
        self.created = 0
        self.reused = 0
        self.in_use = 0
        self._priming = 0

    def take(self, rate: int, grammar: tuple[str, ...] | None = None) -> Recognizer:
        """A warm recognizer of this kind if one is idle (the most used first), else a new one."""
        key = (rate, grammar)
        with self._lock:
            self.in_use += 1
            if self._idle[key]:
                self.reused += 1
                return self._idle[key].pop()
        return self._create(rate, grammar)

    def warm(self, rate: int, grammar: tuple[str, ...] | None = None, count: int = 1) -> None:
        """Have `count` recognizers ready for streams of this kind (made now, off a caller's path)."""
        key = (rate, grammar)
        while len(self._idle[key]) < min(count, self.keep_idle):
            recognizer = self._create(rate, grammar)
            with self._lock:
                self._idle[key].append(recognizer)

    def give_back(self, recognizer: Recognizer) -> None:
        """An utterance (or a stream) ended with a final result: keep a free-speech recognizer for
        the next; a grammar's is dropped and made afresh."""
        key = (recognizer.rate, recognizer.grammar)
        with self._lock:
            self.in_use -= 1
            idle = self._idle[key]
            # a grammar's recognizer (digits, menu words) is cheap to make, and a fresh one hears
            # the same audio the same way: a used one sometimes hears "안내 상담원" for "상담원"
            if recognizer.grammar is None and len(idle) < self.keep_idle and recognizer.clock_s < RETIRE_AFTER_S:
                idle.append(recognizer)
                idle.sort(key=lambda r: r.fed)  # the warmest is taken first (pop from the end)

    def prime(
        self,
        rate: int,
        pcm: bytes,
        count: int,
        *,
        step: Step | None = None,
        piece: int = 0,
    ) -> int:
        """Make idle recognizers warm, up to `count`, by decoding `pcm` (any speech) through each;
        the number this call made (several threads may prime at once). Slow (a second or two of
        CPU each): run it off the callers' path, or through `step` in pieces of `piece` bytes (the
        decoding threads, behind every caller)."""
        run = step or run_here
        size = piece or len(pcm)
        made = 0
        target = min(count, self.keep_idle)
        while True:
            with self._lock:
                if len(self._idle[(rate, None)]) + self._priming >= target:
                    return made
                self._priming += 1
            try:
                recognizer = self._create(rate, None)
                for offset in range(0, len(pcm), size):
                    run(partial(recognizer.vosk.AcceptWaveform, pcm[offset : offset + size]))
                run(recognizer.vosk.FinalResult)
                recognizer.fed += len(pcm) // 2
            finally:
                with self._lock:
                    self._priming -= 1
            with self._lock:
                self._idle[(rate, None)].append(recognizer)
            made += 1

    def idle_of(self, rate: int, grammar: tuple[str, ...] | None = None) -> int:
        with self._lock:
            return len(self._idle[(rate, grammar)])

    def idle(self) -> int:
        with self._lock:
            return sum(len(idle) for idle in self._idle.values())

    def _create(self, rate: int, grammar: tuple[str, ...] | None) -> Recognizer:
        import vosk

        with self._lock:
            self.created += 1
        if grammar is not None:
            made = vosk.KaldiRecognizer(self.model.vosk, rate, json.dumps(list(grammar), ensure_ascii=False))
        else:
            made = vosk.KaldiRecognizer(self.model.vosk, rate)
        made.SetWords(True)
        made.SetPartialWords(False)
        return Recognizer(made, rate, grammar)


_pools: dict[object, RecognizerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(model: LoadedModel, keep_idle: int) -> RecognizerPool:
    """The pool of this model in this process (made on first use; a later `keep_idle` raises it)."""
    with _pools_lock:
        pool = _pools.get(model.info.path)
        if pool is None:
            pool = _pools[model.info.path] = RecognizerPool(model, keep_idle=keep_idle)
        pool.keep_idle = max(pool.keep_idle, keep_idle)
        return pool
