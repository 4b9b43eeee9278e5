"""The speech engine: the shared model, a pool of recognizers, files and live streams.

Recognizers are lent by the pool (`asr.pool`) for an utterance or a stream and kept warm between
callers. The Vosk calls release the GIL, so streams decode in parallel in worker threads.

A live stream is fed only what the voice gate (`asr.vad`) lets through, each stretch with the
time it began: the stream keeps the stretches it skipped, so every word keeps its time in the
call, and takes a recognizer only when voice arrives (a caller who never speaks costs no
recognizer and no decoding). The gate's `Pause` ends an utterance (`pause`): the recogniser's own
end-of-utterance needs silence it would never hear, and the recognizer goes back to the pool
until this caller speaks again.
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any

from asr.audio import read_wav, resample
from asr.model import LoadedModel
from asr.pool import Recognizer, Step, run_here, shared_pool
from asr.schemas import Segment, Transcript, Word, mean_confidence
from asr.text import is_word, join_words

log = logging.getLogger(__name__)

FILE_CHUNK_S = 0.5
PRIME_S = 2.0  # of speech warms a recognizer (its first second costs the most; bench/RESULTS.md)


class SpeechEngine:
    """What the platform asks of speech: transcribe a file, open a live stream."""

    def __init__(self, model: LoadedModel, *, keep_idle: int = 8) -> None:
        self.model = model
        self.pool = shared_pool(model, keep_idle)

    @property
    def language(self) -> str:
        return self.model.info.language

    def describe(self) -> dict[str, Any]:
        return {**self.model.info.describe(), "streams": self.pool.in_use}

    def transcribe_wav(self, audio: bytes, *, step: Step | None = None) -> Transcript:
        """The whole transcript of a WAV file. Raises `UnreadableAudio` or `EmptyAudio`.
        `step` runs each half second's decoding (the live decoding threads, behind the callers on
        the line: `DecodeThreads.in_background`); here, by default."""
        pcm, rate = read_wav(audio)
        stream = self.open_stream(rate)
        run = step or run_here
        size = int(rate * FILE_CHUNK_S) * 2
        try:
            for offset in range(0, len(pcm), size):
                run(partial(stream.accept, pcm[offset : offset + size], partials=False))
        finally:
            run(stream.finish)
        return stream.transcript(source="file")

    def prime(self, audio: bytes, count: int, rate: int = 16000, *, step: Step | None = None) -> int:
        """Warm `count` recognizers for streams at `rate` by decoding `audio` (a WAV of any speech:
        the platform uses its own menu prompt); the number made. Seconds of CPU: off the call path
        (`step` as in `transcribe_wav`)."""
        pcm, wav_rate = read_wav(audio)
        pcm = resample(pcm, wav_rate, rate)[: int(PRIME_S * rate) * 2]
        return self.pool.prime(rate, pcm, count, step=step, piece=int(rate * FILE_CHUNK_S) * 2)

    def open_stream(self, rate: int, *, grammar: list[str] | None = None) -> RecognitionStream:
        return RecognitionStream(self, rate, tuple(grammar) if grammar else None)


@dataclass
class _Utterance:
    text: str
    words: tuple[Word, ...]


class RecognitionStream:
    """One stream of audio (a caller's voice, a file): partial and final segments as it goes.

    Fed from worker threads: a lock keeps two threads from ever using its recognizer at once
    (Kaldi would crash). `finish()` returns the recognizer to the pool; the stream keeps its
    transcript, and audio fed after it is ignored."""

    def __init__(self, engine: SpeechEngine, rate: int, grammar: tuple[str, ...] | None) -> None:
        self.engine = engine
        self.rate = rate
        self.grammar = grammar
        self._recognizer: Recognizer | None = None  # lent while there is voice to decode
        self._lease = 0.0  # where the recognizer's clock stood, less this stream's, when lent
        self._fed = 0  # samples given to the recognizer
        self._skipped = 0  # samples of the stream the gate kept from it
        self._skips: list[tuple[float, float]] = []  # (decoded seconds, seconds skipped before them)
        self._utterances: list[_Utterance] = []
        self._last_partial = ""
        self._utterance_start = 0.0
        self._between = True  # no audio since the last final segment
        self.finished = False
        self._lock = threading.Lock()

    @property
    def position_s(self) -> float:
        """How far into the stream's audio it has got (decoded and skipped)."""
        return (self._fed + self._skipped) / self.rate

    @property
    def decoded_s(self) -> float:
        """How much audio the recognizer has decoded (the cost; the rest was skipped)."""
        return self._fed / self.rate

    def accept(self, pcm: bytes, *, partials: bool = True, at_s: float | None = None) -> Segment | None:
        """Feed little-endian 16-bit samples; return a new final segment, or a changed partial.
        `at_s`: where this audio begins in the stream (after a stretch the voice gate skipped;
        audio before the stream's position is dropped)."""
        with self._lock:
            if at_s is not None:
                pcm = self._seek(at_s, pcm)
            return self._accept(pcm, partials)

    def _seek(self, at_s: float, pcm: bytes) -> bytes:
        gap = round(at_s * self.rate) - self._fed - self._skipped
        if gap > 0:
            self._skipped += gap
            self._skips.append((self._fed / self.rate, self._skipped / self.rate))
            return pcm
        return pcm[-gap * 2 :]  # the part already behind the stream's position

    def _true_time(self, decoded_s: float) -> float:
        """A time in the recognizer's audio as a time in the stream (the skipped stretches added)."""
        index = bisect.bisect_right(self._skips, (decoded_s, float("inf"))) - 1
        return decoded_s + (self._skips[index][1] if index >= 0 else 0.0)

    def _accept(self, pcm: bytes, partials: bool) -> Segment | None:
        if self.finished or not pcm:
            return None
        if self._recognizer is None:
            self._recognizer = self.engine.pool.take(self.rate, self.grammar)
            self._lease = self._recognizer.clock_s - self.decoded_s
        if self._between:  # the first audio of an utterance
            self._utterance_start, self._between = self.position_s, False
        recognizer = self._recognizer
        self._fed += len(pcm) // 2
        recognizer.fed += len(pcm) // 2
        if recognizer.vosk.AcceptWaveform(pcm):
            return self._final(recognizer.vosk.Result())
        if not partials:
            return None
        partial = join_words(str(json.loads(recognizer.vosk.PartialResult()).get("partial", "")).split(), self._lang)
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
            return self._end_utterance()

    def flush(self) -> Segment | None:
        """What was said since the last final segment, as a final segment now, without waiting for
        a pause; the stream goes on with its recognizer (a keyword spotter beside the main stream
        ends its utterance when the main stream ends one, so both speak of the same audio)."""
        with self._lock:
            if self.finished or self._recognizer is None:
                return None
            return self._final(self._recognizer.vosk.FinalResult())

    def pause(self) -> Segment | None:
        """The caller stopped speaking: the utterance's final segment, and the recognizer goes back
        to the pool until they speak again."""
        with self._lock:
            return None if self.finished else self._end_utterance()

    def _end_utterance(self) -> Segment | None:
        recognizer, self._recognizer = self._recognizer, None
        if recognizer is None:  # nothing decoded since the last pause
            return None
        try:
            return self._final(recognizer.vosk.FinalResult())
        finally:
            self.engine.pool.give_back(recognizer)

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
        self._between = True
        words = tuple(
            Word(
                str(w["word"]),
                round(self._true_time(float(w["start"]) - self._lease), 3),
                round(self._true_time(float(w["end"]) - self._lease), 3),
                round(float(w["conf"]), 3),
            )
            for w in result.get("result", [])
            if is_word(str(w.get("word", "")))
        )
        text = join_words([w.word for w in words] or str(result.get("text", "")).split(), self._lang)
        start = words[0].start_s if words else self._utterance_start
        if not text:
            return None
        self._utterances.append(_Utterance(text, words))
        return Segment("final", text, start, words[-1].end_s if words else self.position_s, words)
