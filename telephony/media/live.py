"""A caller's voice decoded while they speak: segments out as events, utterances for the IVR.

One `LiveTranscription` per call, fed by the call's audio tap. The audio goes to a recognition
stream in a worker thread, about 100 ms at a time; each new partial or final segment is
published as `transcript.partial` / `transcript.final` with the call id (the agent's screen
shows them). The IVR restarts the stream at the points that matter: a digits-only grammar
while it waits for a case number, a fresh stream for each recorded message, so a message's
transcript is exactly what was said while it was recorded, and is complete the moment it ends.

A voice gate (`asr.vad`) stands before both: silence, the line's noise and the pauses between
answers are never decoded, so a caller who listens to the menu costs almost nothing, and every
caller can be listened to. When the voice stops the gate ends the utterance in both streams.

At the menu a second, small stream listens beside the first: a keyword spotter (a Vosk grammar
of the menu's words). The first hears free speech (a caller may say the whole problem); the
spotter hears "人工" where the free model, given a few syllables alone, guesses other words. The
spotter hears the voice as it comes; the free recognizer only at the pause, and only when the
spotter's words do not decide a choice by themselves (`decides`): a grammar costs a tenth of
the free model, so fifty callers saying "人工" at once are answered in about a second instead of
twenty. The words spotted go with the utterance: the IVR weighs both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from asr.engine import RecognitionStream, SpeechEngine
from asr.schemas import Segment, Transcript, Word
from asr.text import join_words
from asr.threads import DecodeThreads, shared_decode_threads
from asr.vad import HANGOVER_S, PREROLL_S, Piece, Voice, VoiceGate
from telephony.calls import notifier as ev
from telephony.calls.notifier import CallNotifier
from telephony.media.rtp import RtpReceiver
from telephony.media.tap import TAP_RATE

log = logging.getLogger(__name__)

T = TypeVar("T")


RATE = TAP_RATE  # slin from the externalMedia channel

# The spotter's words (as `Word.to_json()`) and the voice's span -> the words deciding a menu
# choice by themselves, or None (the free recognizer must hear the utterance too).
SpotterDecides = Callable[[list[dict[str, Any]], float, float], list[dict[str, Any]] | None]


@dataclass(frozen=True, slots=True)
class Heard:
    """A finished utterance of the caller, and in which stream (what the IVR was listening for)."""

    text: str
    purpose: str
    start_s: float
    end_s: float
    words: tuple[dict[str, Any], ...] = ()
    spotted: tuple[dict[str, Any], ...] = ()  # what the keyword spotter heard in the same audio


class LiveTranscription:
    def __init__(
        self,
        engine: SpeechEngine,
        receiver: RtpReceiver,
        notifier: CallNotifier,
        call_id: str,
        *,
        threads: DecodeThreads | None = None,
    ) -> None:
        self.engine = engine
        self.threads = threads or shared_decode_threads()  # the process's, below the event loop
        self.receiver = receiver
        self.notifier = notifier
        self.call_id = call_id
        self.purpose = "call"
        self._gate = VoiceGate(RATE)
        self._stream: RecognitionStream = engine.open_stream(RATE)
        self._origin = 0.0  # where the current streams began on the call's clock (the gate's)
        self._spotter: RecognitionStream | None = None
        self._spotted: list[dict[str, Any]] = []  # spotted since the first stream's last utterance
        self._decides: SpotterDecides | None = None
        self._unheard: list[Voice] = []  # the menu's voice the free recognizer has not decoded yet
        self._voice: list[Voice] = []  # the utterance under way (since the gate opened)
        self._lock = asyncio.Lock()
        self._heard: asyncio.Queue[Heard] = asyncio.Queue(100)
        self.has_heard = asyncio.Event()  # set while an utterance waits to be taken
        self.seconds_fed = 0.0  # the caller's audio received
        self.seconds_decoded = 0.0  # of which the recognizers decoded (the rest was not voice)
        self.decode_s = 0.0  # wall time spent decoding
        self._dropped_at = 0  # the receiver's dropped packets when the current purpose began
        self.last_whole = True  # the purpose `restart` ended lost no audio (the decoders kept up)
        self._hurry = False  # the call's flow waits for what is decoded now (a restart)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on a decoding thread (urgent while the caller is at the menu, or while the
        call's flow waits for `restart`: a caller waits either way) and wait for it to finish
        even if this task is cancelled: a recognizer must never be used by two threads at once
        (Kaldi crashes), and a cancelled wait would leave its thread running while the next
        decode starts."""
        urgent = self._hurry or self.purpose == "menu"
        future = asyncio.wrap_future(self.threads.submit(fn, *args, urgent=urgent))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await future
            raise

    @property
    def language(self) -> str:
        return self.engine.language

    @property
    def hearing(self) -> bool:
        """The caller is speaking, or their voice is being decoded (behind, with many callers)."""
        return self._gate.is_open or self._lock.locked()

    @property
    def seconds_voiced(self) -> float:
        """The caller's audio the voice gate let through (voice, with a moment before and after)."""
        return self._gate.voiced_s

    async def run(self) -> None:
        """Feed the recognizer until cancelled (the call ended or the tap was removed)."""
        while True:
            await self.feed(await self.receiver.read())

    async def feed(self, pcm: bytes) -> None:
        """Take the next stretch of the caller's audio (little-endian samples at RATE)."""
        async with self._lock:
            self.seconds_fed += len(pcm) / 2 / RATE
            pieces = self._pieces(pcm)  # cheap, on the loop: silence never reaches a thread
            if not pieces:
                return
            stream, spotter, purpose = self._stream, self._spotter, self.purpose
            loop = asyncio.get_running_loop()
            started = loop.time()
            heard = await self._in_thread(self._decode, stream, spotter, pieces, self._origin)
            self.decode_s += loop.time() - started
        for segment, spotted in heard:
            self._publish(segment, purpose, spotted=spotted)

    def _decode(
        self, stream: RecognitionStream, spotter: RecognitionStream | None, pieces: list[Piece], origin: float
    ) -> list[tuple[Segment, tuple[dict[str, Any], ...]]]:
        """Both streams take the same voice, in one worker thread (under the lock: one at a time);
        a pause ends the utterance in both and lends their recognizers back to the pool.

        With a spotter (the menu), an utterance is what the caller says between pauses: the
        spotter hears the voice as it comes, the free recognizer at the pause if the spotter's
        words do not decide (its mid-voice finals joined into one: "한" of "상담원" is its
        endpointing guessing)."""
        out: list[tuple[Segment, tuple[dict[str, Any], ...]]] = []
        for piece in pieces:
            segment: Segment | None
            if isinstance(piece, Voice) and spotter is not None:
                self._keep_spotted(spotter.accept(piece.pcm, partials=False, at_s=piece.at_s - origin))
                self._unheard.append(piece)
                continue
            if isinstance(piece, Voice):
                segment = self._free(stream, piece, origin)
            elif spotter is not None:
                self._keep_spotted(spotter.pause())
                segment = self._menu_utterance(stream, piece.at_s - origin, origin)
            else:
                segment = stream.pause()
            if segment is None:
                continue
            spotted: tuple[dict[str, Any], ...] = ()
            if segment.kind == "final":
                spotted, self._spotted = tuple(self._spotted), []
            out.append((segment, spotted))
        return out

    def _free(self, stream: RecognitionStream, piece: Voice, origin: float, *, partials: bool = True) -> Segment | None:
        self.seconds_decoded += len(piece.pcm) / 2 / RATE
        return stream.accept(piece.pcm, partials=partials, at_s=piece.at_s - origin)

    def _menu_utterance(self, stream: RecognitionStream, paused_s: float, origin: float) -> Segment | None:
        """The caller paused at the menu: the spotter's words if they decide, else the free
        recognizer's words of the whole utterance (decoded now)."""
        unheard, self._unheard = self._unheard, []
        if not unheard:
            return stream.pause()
        start_s, end_s = unheard[0].at_s - origin + PREROLL_S, paused_s - HANGOVER_S
        chosen = self._decides(self._spotted, start_s, end_s) if self._decides is not None else None
        if chosen:
            words = tuple(Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w["conf"])) for w in chosen)
            text = join_words([w.word for w in words], self.language)
            return Segment("final", text, words[0].start_s, words[-1].end_s, words)
        return _joined(self._free_all(stream, unheard, origin), self.language)

    def _free_all(self, stream: RecognitionStream, voice: list[Voice], origin: float) -> list[Segment]:
        """The free recognizer's final segments of `voice`, to its pause."""
        finals = [self._free(stream, piece, origin, partials=False) for piece in voice]
        return [s for s in [*finals, stream.pause()] if s is not None and s.kind == "final"]

    def _pieces(self, pcm: bytes) -> list[Piece]:
        """The gate's pieces of `pcm`, keeping the voice of the utterance under way."""
        pieces = self._gate.push(pcm)
        for piece in pieces:
            if isinstance(piece, Voice):
                self._voice.append(piece)
            else:
                self._voice = []
        return pieces

    def _replay(self, spotter: RecognitionStream, voice: list[Voice]) -> None:
        """The menu begins while the caller is already speaking (over the greeting: "人工!"):
        the spotter hears the utterance from its start, not from the middle of a word."""
        for piece in voice:
            self._keep_spotted(spotter.accept(piece.pcm, partials=False, at_s=piece.at_s - self._origin))
            self._unheard.append(piece)

    def _keep_spotted(self, heard: Segment | None) -> None:
        if heard is not None:
            self._spotted.extend(w.to_json() for w in heard.words)

    async def restart(
        self,
        purpose: str,
        *,
        grammar: list[str] | None = None,
        spot: list[str] | None = None,
        decides: SpotterDecides | None = None,
    ) -> Transcript:
        """End the current stream (returning its transcript) and listen afresh for `purpose`; with
        `spot`, a keyword spotter of those words listens beside it (`decides`: when its words
        alone are the answer, see `SpotterDecides`)."""
        async with self._lock:
            self._hurry = True
            try:
                return await self._restart(purpose, grammar=grammar, spot=spot, decides=decides)
            finally:
                self._hurry = False

    async def _restart(
        self, purpose: str, *, grammar: list[str] | None, spot: list[str] | None, decides: SpotterDecides | None
    ) -> Transcript:
        old, old_purpose = self._stream, self.purpose
        dropped = self.receiver.stats.dropped
        self.last_whole, self._dropped_at = dropped == self._dropped_at, dropped
        if self._spotter is not None:
            await self._in_thread(self._spotter.finish)
            self._spotter, self._spotted = None, []
        # words of the menu the caller had not finished (events only)
        for segment in await self._unfinished(old):
            self._publish(segment, old_purpose, queue=False)
        # audio received until now belongs to the old purpose, even when decoding runs behind
        for segment in await self._decode_waiting(old):
            self._publish(segment, old_purpose)
        last = await self._in_thread(old.finish)
        self._stream = self.engine.open_stream(RATE, grammar=grammar)  # cheap: no recognizer yet
        self._origin = self._gate.position_s
        self._decides = decides if spot else None
        if spot:
            self._spotter = self.engine.open_stream(RATE, grammar=spot)
            if self._voice and self._gate.is_open:
                self._origin = self._voice[0].at_s
                await self._in_thread(self._replay, self._spotter, list(self._voice))
        self.purpose = purpose
        while not self._heard.empty():  # what was heard before this point is moot
            self._heard.get_nowait()
        self.has_heard.clear()
        if last is not None:
            self._publish(last, old_purpose, queue=False)
        return old.transcript(source="live")

    async def _unfinished(self, stream: RecognitionStream) -> list[Segment]:
        """The menu's voice not yet decoded by the free recognizer (the caller had not paused)."""
        unheard, self._unheard = self._unheard, []
        if not unheard:
            return []
        return await self._in_thread(self._free_all, stream, unheard, self._origin)

    async def _decode_waiting(self, stream: RecognitionStream) -> list[Segment]:
        """The audio received but not yet decoded, into `stream` alone (its purpose is ending)."""
        pcm = self.receiver.take()
        self.seconds_fed += len(pcm) / 2 / RATE
        pieces = self._pieces(pcm)
        if not pieces:
            return []
        return [segment for segment, _ in await self._in_thread(self._decode, stream, None, pieces, self._origin)]

    async def next_utterance(self, timeout: float) -> Heard | None:
        """The next thing the caller finishes saying in the current stream, or None."""
        try:
            heard = await asyncio.wait_for(self._heard.get(), timeout)
        except TimeoutError:
            return None
        if self._heard.empty():
            self.has_heard.clear()
        return heard

    async def close(self) -> Transcript:
        async with self._lock:
            # the caller's last words may still wait to be decoded: they are published too
            ended = await self._unfinished(self._stream)
            ended += [s for s in await self._decode_waiting(self._stream) if s.kind == "final"]
            last = await self._in_thread(self._stream.finish)
            if self._spotter is not None:
                await self._in_thread(self._spotter.finish)
                self._spotter = None
        for segment in [*ended, *([last] if last is not None else [])]:
            self._publish(segment, self.purpose, queue=False)
        return self._stream.transcript(source="live")

    def _publish(
        self, segment: Segment, purpose: str, *, queue: bool = True, spotted: tuple[dict[str, Any], ...] = ()
    ) -> None:
        event = ev.TRANSCRIPT_FINAL if segment.kind == "final" else ev.TRANSCRIPT_PARTIAL
        self.notifier.emit_speech(
            self.call_id,
            event,
            text=segment.text,
            start_s=round(segment.start_s, 2),
            end_s=round(segment.end_s, 2),
            purpose=purpose,
            words=[w.to_json() for w in segment.words],
            language=self.language,
        )
        if queue and segment.kind == "final":
            with contextlib.suppress(asyncio.QueueFull):
                words = tuple(w.to_json() for w in segment.words)
                heard = Heard(segment.text, purpose, segment.start_s, segment.end_s, words, spotted)
                self._heard.put_nowait(heard)
                self.has_heard.set()


def _joined(finals: list[Segment], language: str) -> Segment | None:
    """Final segments of one utterance as one."""
    if not finals:
        return None
    if len(finals) == 1:
        return finals[0]
    words = tuple(w for f in finals for w in f.words)
    return Segment("final", join_words([f.text for f in finals], language), finals[0].start_s, finals[-1].end_s, words)
