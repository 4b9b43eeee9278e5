"""The speech engine: the shared model, a pool of recognizers, files and live streams.

A `KaldiRecognizer` is per stream and not thread-safe. A used one is never handed to the next
caller: `Reset()` keeps the speaker adaptation of the previous stream, and the same audio then
decodes differently. Creating one costs tens of milliseconds, so the pool keeps fresh ones ready
(keyed by sample rate and grammar) and makes the replacement when a stream ends, off the next
caller's path. The Vosk calls release the GIL, so streams decode in parallel in worker threads.

A menu's stream also ends an utterance when the line has been quiet for a moment after words: the
recogniser's own end-of-utterance needs the silence to decode as silence, and after a word or two
it hears as gibberish (or after digital silence) it may wait until the call ends, while the
caller waits for the menu to react.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from asr.audio import read_wav
from asr.model import LoadedModel
from asr.schemas import Segment, Transcript, Word, mean_confidence
from asr.text import is_word, join_words

log = logging.getLogger(__name__)

FILE_CHUNK_S = 0.5
QUIET_DBFS = -45.0  # below this (RMS) a chunk of the line is quiet (as telephony.calls.audio)
QUIET_END_S = 0.8  # this long quiet after words ends the utterance

PoolKey = tuple[int, tuple[str, ...] | None]


class RecognizerPool:
    def __init__(self, model: LoadedModel, *, keep_idle: int = 8) -> None:
        self.model = model
        self.keep_idle = keep_idle
        self._idle: dict[PoolKey, list[Any]] = defaultdict(list)
        self._lock = threading.Lock()
        self.created = 0
        self.in_use = 0

    def take(self, rate: int, grammar: tuple[str, ...] | None = None) -> Any:
        key = (rate, grammar)
        with self._lock:
            self.in_use += 1
            if self._idle[key]:
                return self._idle[key].pop()
        return self._create(rate, grammar)

    def warm(self, rate: int, grammar: tuple[str, ...] | None = None, count: int = 1) -> None:
        """Have `count` fresh recognizers ready for streams of this kind."""
        key = (rate, grammar)
        while len(self._idle[key]) < min(count, self.keep_idle):
            recognizer = self._create(rate, grammar)
            with self._lock:
                self._idle[key].append(recognizer)

    def _create(self, rate: int, grammar: tuple[str, ...] | None) -> Any:
        import vosk

        with self._lock:
            self.created += 1

        if grammar is not None:
            recognizer = vosk.KaldiRecognizer(self.model.vosk, rate, json.dumps(list(grammar), ensure_ascii=False))
        else:
            recognizer = vosk.KaldiRecognizer(self.model.vosk, rate)
        recognizer.SetWords(True)
        recognizer.SetPartialWords(False)
        return recognizer

    def give_back(self, recognizer: Any, rate: int, grammar: tuple[str, ...] | None = None) -> None:
        """A stream ended: drop its recognizer, and make a fresh one for the next stream of its kind."""
        del recognizer
        with self._lock:
            self.in_use -= 1
            idle = len(self._idle[(rate, grammar)])
        if idle < 1:
            self.warm(rate, grammar, count=1)


class SpeechEngine:
    """What the platform asks of speech: transcribe a file, open a live stream."""

    def __init__(self, model: LoadedModel, *, keep_idle: int = 8) -> None:
        self.model = model
        self.pool = RecognizerPool(model, keep_idle=keep_idle)

    @property
    def language(self) -> str:
        return self.model.info.language

    def describe(self) -> dict[str, Any]:
        return {**self.model.info.describe(), "streams": self.pool.in_use}

    def transcribe_wav(self, audio: bytes) -> Transcript:
        """The whole transcript of a WAV file. Raises `UnreadableAudio` or `EmptyAudio`."""
        pcm, rate = read_wav(audio)
        stream = self.open_stream(rate)
        step = int(rate * FILE_CHUNK_S) * 2
        try:
            for offset in range(0, len(pcm), step):
                stream.accept(pcm[offset : offset + step], partials=False)
        finally:
            stream.finish()
        return stream.transcript(source="file")

    def open_stream(self, rate: int, *, grammar: list[str] | None = None, quiet_end: bool = False) -> RecognitionStream:
        """`quiet_end`: end an utterance after QUIET_END_S of quiet following words (a menu waiting
        for a short answer; not a message, whose pauses are part of it)."""
        return RecognitionStream(self, rate, tuple(grammar) if grammar else None, quiet_end=quiet_end)


@dataclass
class _Utterance:
    text: str
    words: tuple[Word, ...]


def _quiet(pcm: bytes) -> bool:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    return not samples.size or float(np.sqrt(np.mean(samples * samples))) < 10 ** (QUIET_DBFS / 20) * 32768


class RecognitionStream:
    """One stream of audio (a caller's voice, a file): partial and final segments as it goes.

    Fed from worker threads: a lock keeps two threads from ever using its recognizer at once
    (Kaldi would crash). `finish()` returns the recognizer to the pool; the stream keeps its
    transcript, and audio fed after it is ignored."""

    def __init__(
        self, engine: SpeechEngine, rate: int, grammar: tuple[str, ...] | None, *, quiet_end: bool = False
    ) -> None:
        self.engine = engine
        self.quiet_end = quiet_end
        self.rate = rate
        self.grammar = grammar
        self._recognizer: Any = engine.pool.take(rate, grammar)
        self._samples = 0
        self._utterances: list[_Utterance] = []
        self._last_partial = ""
        self._utterance_start = 0.0
        self._quiet_s = 0.0
        self.finished = False
        self._lock = threading.Lock()

    @property
    def position_s(self) -> float:
        return self._samples / self.rate

    def accept(self, pcm: bytes, *, partials: bool = True) -> Segment | None:
        """Feed little-endian 16-bit samples; return a new final segment, or a changed partial."""
        with self._lock:
            return self._accept(pcm, partials)

    def _accept(self, pcm: bytes, partials: bool) -> Segment | None:
        if self.finished or not pcm:
            return None
        self._samples += len(pcm) // 2
        self._quiet_s = self._quiet_s + len(pcm) / 2 / self.rate if _quiet(pcm) else 0.0
        if self._recognizer.AcceptWaveform(pcm):
            return self._final(self._recognizer.Result())
        if not partials:
            return None
        if self.quiet_end and self._last_partial and self._quiet_s >= QUIET_END_S:  # words, then quiet
            return self._final(self._recognizer.FinalResult())
        partial = join_words(str(json.loads(self._recognizer.PartialResult()).get("partial", "")).split(), self._lang)
        if partial and partial != self._last_partial:
            self._last_partial = partial
            return Segment("partial", partial, self._utterance_start, self.position_s)
        return None

    def finish(self) -> Segment | None:
        """End of audio: the last final segment (if anything was said since the previous one)."""
        with self._lock:
            if self.finished:
                return None
            self.finished = True
            try:
                last = self._final(self._recognizer.FinalResult())
            finally:
                recognizer, self._recognizer = self._recognizer, None
        self.engine.pool.give_back(recognizer, self.rate, self.grammar)
        return last

    def flush(self) -> Segment | None:
        """What was said since the last final segment, as a final segment now, without waiting for
        a pause; the stream goes on (a keyword spotter beside the main stream ends its utterance
        when the main stream ends one, so both speak of the same audio)."""
        with self._lock:
            if self.finished:
                return None
            return self._final(self._recognizer.FinalResult())

    def transcript(self, *, source: str = "live") -> Transcript:
        words = tuple(w for u in self._utterances for w in u.words)
        lang = self._lang
        text = ("" if lang == "zh" else " ").join(u.text for u in self._utterances if u.text)
        return Transcript(
            text=text,
            words=words,
            confidence=mean_confidence(words),
            duration_s=round(self.position_s, 3),
            language=lang,
            model=self.engine.model.info.name,
            sample_rate=self.rate,
            source="file" if source == "file" else "live",
        )

    @property
    def _lang(self) -> str:
        return self.engine.model.info.language

    def _final(self, raw: str) -> Segment | None:
        result = json.loads(raw)
        self._last_partial = ""
        words = tuple(
            Word(str(w["word"]), round(float(w["start"]), 3), round(float(w["end"]), 3), round(float(w["conf"]), 3))
            for w in result.get("result", [])
            if is_word(str(w.get("word", "")))
        )
        text = join_words([w.word for w in words] or str(result.get("text", "")).split(), self._lang)
        start = words[0].start_s if words else self._utterance_start
        self._utterance_start = self.position_s
        if not text:
            return None
        self._utterances.append(_Utterance(text, words))
        return Segment("final", text, start, words[-1].end_s if words else self.position_s, words)
