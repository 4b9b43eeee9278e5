"""A caller's voice decoded while they speak: segments out as events, utterances for the IVR.

One `LiveTranscription` per call, fed by the call's audio tap. The audio goes to a recognition
stream in a worker thread, about 100 ms at a time; each new partial or final segment is
published as `transcript.partial` / `transcript.final` with the call id (the agent's screen
shows them). The IVR restarts the stream at the points that matter: a digits-only grammar
while it waits for a case number, a fresh stream for each recorded message, so a message's
transcript is exactly what was said while it was recorded, and is complete the moment it ends.

At the menu a second, small stream listens beside the first: a keyword spotter (a Vosk grammar
of the menu's words). The first hears free speech (a caller may say the whole problem); the
spotter hears "人工" where the free model, given a few syllables alone, guesses other words. When
the first ends an utterance the spotter is made to end its own on the same audio, and the words it
spotted go with the utterance: the IVR weighs both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from asr.engine import RecognitionStream, SpeechEngine
from asr.schemas import Segment, Transcript
from telephony.calls import notifier as ev
from telephony.calls.notifier import CallNotifier
from telephony.media.rtp import RtpReceiver

log = logging.getLogger(__name__)

T = TypeVar("T")


async def _in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` in a worker thread and wait for it to finish even if this task is cancelled: a
    recognizer must never be used by two threads at once (Kaldi crashes), and a cancelled
    `to_thread` would leave its thread running while the next call starts."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await future
        raise


RATE = 16000  # slin16 from the externalMedia channel
BATCH_S = 0.1


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
    def __init__(self, engine: SpeechEngine, receiver: RtpReceiver, notifier: CallNotifier, call_id: str) -> None:
        self.engine = engine
        self.receiver = receiver
        self.notifier = notifier
        self.call_id = call_id
        self.purpose = "call"
        self._stream: RecognitionStream = engine.open_stream(RATE)
        self._spotter: RecognitionStream | None = None
        self._spotted: list[dict[str, Any]] = []  # spotted since the first stream's last utterance
        self._lock = asyncio.Lock()
        self._heard: asyncio.Queue[Heard] = asyncio.Queue(100)
        self.has_heard = asyncio.Event()  # set while an utterance waits to be taken
        self.seconds_fed = 0.0
        self.decode_s = 0.0

    @property
    def language(self) -> str:
        return self.engine.language

    async def run(self) -> None:
        """Feed the recognizer until cancelled (the call ended or the tap was removed)."""
        batch_bytes = int(RATE * BATCH_S) * 2
        while True:
            chunk = [await self.receiver.queue.get()]
            size = len(chunk[0])
            while size < batch_bytes and not self.receiver.queue.empty():
                chunk.append(self.receiver.queue.get_nowait())
                size += len(chunk[-1])
            await self._feed(b"".join(chunk))

    async def _feed(self, pcm: bytes) -> None:
        async with self._lock:
            stream, spotter, purpose = self._stream, self._spotter, self.purpose
            loop = asyncio.get_running_loop()
            started = loop.time()
            segment, spotted = await _in_thread(self._decode, stream, spotter, pcm)
            self.decode_s += loop.time() - started
            self.seconds_fed += len(pcm) / 2 / RATE
        if segment is not None:
            self._publish(segment, purpose, spotted=spotted)

    def _decode(
        self, stream: RecognitionStream, spotter: RecognitionStream | None, pcm: bytes
    ) -> tuple[Segment | None, tuple[dict[str, Any], ...]]:
        """Both streams take the same audio, in one worker thread (under the lock: one at a time)."""
        segment = stream.accept(pcm)
        if spotter is None:
            return segment, ()
        heard = spotter.accept(pcm, partials=False)  # the spotter may end an utterance on its own
        if heard is not None:
            self._spotted.extend(w.to_json() for w in heard.words)
        if segment is None or segment.kind != "final":
            return segment, ()
        last = spotter.flush()
        if last is not None:
            self._spotted.extend(w.to_json() for w in last.words)
        spotted, self._spotted = tuple(self._spotted), []
        return segment, spotted

    async def restart(
        self, purpose: str, *, grammar: list[str] | None = None, spot: list[str] | None = None, short: bool = False
    ) -> Transcript:
        """End the current stream (returning its transcript) and listen afresh for `purpose`; with
        `spot`, a keyword spotter of those words listens beside it; `short`: answers are short (a
        menu), an utterance ends after a moment of quiet."""
        async with self._lock:
            old, old_purpose = self._stream, self.purpose
            if self._spotter is not None:
                await _in_thread(self._spotter.finish)
                self._spotter, self._spotted = None, []
            # audio received until now belongs to the old purpose, even when decoding runs behind
            waiting = self._drain()
            if waiting:
                segment = await _in_thread(old.accept, waiting)
                if segment is not None:
                    self._publish(segment, old_purpose)
            last = await _in_thread(old.finish)
            self._stream = await _in_thread(self.engine.open_stream, RATE, grammar=grammar, quiet_end=short)
            if spot:
                self._spotter = await _in_thread(self.engine.open_stream, RATE, grammar=spot)
            self.purpose = purpose
            while not self._heard.empty():  # what was heard before this point is moot
                self._heard.get_nowait()
            self.has_heard.clear()
        if last is not None:
            self._publish(last, old_purpose, queue=False)
        return old.transcript(source="live")

    def _drain(self) -> bytes:
        chunks = []
        while not self.receiver.queue.empty():
            chunks.append(self.receiver.queue.get_nowait())
        self.seconds_fed += sum(len(c) for c in chunks) / 2 / RATE
        return b"".join(chunks)

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
            waiting = self._drain()
            if waiting:
                await _in_thread(self._stream.accept, waiting)
            last = await _in_thread(self._stream.finish)
            if self._spotter is not None:
                await _in_thread(self._spotter.finish)
                self._spotter = None
        if last is not None:
            self._publish(last, self.purpose, queue=False)
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
