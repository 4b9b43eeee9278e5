"""From a call's stored message to a screened case: transcribe, keep the text, screen.

This is the only place where speech (`asr`) and the casebook meet, so neither imports the
other. `Transcriber.run(call_id)` is idempotent: run twice (a Celery task redelivered after a
worker died, the sweep finding a lost one), it stores one transcript and the case is screened
once; it never opens a case (the case exists before its recording is stored).

Which text: the live transcript of the recording, when the call had one (it was decoded while
the caller spoke, so it is ready the moment they hang up); otherwise the stored recording is
decoded now. Corrupt or empty audio leaves the case `failed` ("no transcript") for a person.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from asr.engine import SpeechEngine
from asr.errors import AsrError
from asr.pool import Step
from casebook.cases import transcripts
from casebook.cases.lifecycle import Status
from casebook.cases.services import CaseBook
from casebook.cases.transcripts import SpeechText
from common.logs import call_id_var
from hotline.adapters import speech_text

log = logging.getLogger(__name__)

LOST_AFTER = timedelta(minutes=2)


class NotReady(Exception):
    """The call's case or recording is not stored yet: try again shortly."""


@dataclass(frozen=True, slots=True)
class Outcome:
    call_id: str
    number: str
    state: str  # done, failed, or already
    source: str  # live, file, or ""
    registered: bool = False
    dispatched: bool = False
    seconds: float = 0.0


class Transcriber:
    def __init__(self, book: CaseBook, engine: Callable[[], SpeechEngine]) -> None:
        self.book = book
        self._engine = engine  # loaded on first use: a worker may never need the model
        self.step: Step | None = None  # where the decoding runs (the platform: its live threads, behind callers)

    def run(self, call_id: str) -> Outcome:
        started = time.perf_counter()
        token = call_id_var.set(call_id)
        try:
            job = self._job(call_id)
            if job.state in (transcripts.DONE, transcripts.FAILED):
                if job.state == transcripts.DONE and not job.screened and job.status == Status.RECEIVED:
                    self.book.screen(job.number)  # stored, but the screening was lost
                return Outcome(call_id, job.number, "already", "", seconds=time.perf_counter() - started)
            if job.live is not None and job.live.text.strip():
                return self._keep(job, job.live, "live", started)
            try:
                audio = Path(str(job.recording_path)).read_bytes()
                speech = speech_text(self.engine().transcribe_wav(audio, step=self.step), "file")
            except (AsrError, OSError) as exc:
                log.warning("case %s: no transcript (%s); left for an intake agent", job.number, exc)
                self.book.transcription_failed(call_id, str(exc))
                return Outcome(call_id, job.number, transcripts.FAILED, "file", seconds=time.perf_counter() - started)
            return self._keep(job, speech, "file", started)
        finally:
            call_id_var.reset(token)

    def run_live(self, call_id: str) -> Outcome | None:
        """Keep and screen the message's live transcript now, in the calling thread; None when it
        has none (its recording must be decoded: `run`, queued). A live transcript needs no
        decoding, so it must not wait in the queue behind stored messages being decoded: with
        twenty reporting callers on two cores, routed cases waited 32 s there (issue 18)."""
        job = self.book.transcription_job(call_id)
        if job is None or job.recording_path is None or job.live is None or not job.live.text.strip():
            return None
        return self.run(call_id)

    def _job(self, call_id: str) -> transcripts.TranscriptionJob:
        job = self.book.transcription_job(call_id)
        if job is None or job.recording_path is None:
            raise NotReady(f"call {call_id}: case or recording not stored yet")
        return job

    def _keep(self, job: transcripts.TranscriptionJob, speech: SpeechText, source: str, started: float) -> Outcome:
        """Store the transcript and screen the case (registered, dispatched, or left for a person)."""
        state = self.book.store_transcript(job.call_id, speech)
        registered = dispatched = False
        if state == transcripts.DONE:
            screening = self.book.screen(job.number)
            registered, dispatched = screening.registered, screening.dispatched
        log.info(
            "case %s transcribed (%s, %d words): %s",
            job.number,
            source,
            len(speech.words) or len(speech.text.split()),
            "dispatched" if dispatched else "registered" if registered else "left for an intake agent",
        )
        return Outcome(job.call_id, job.number, state, source, registered, dispatched, time.perf_counter() - started)

    def engine(self) -> SpeechEngine:
        return self._engine()


class BackgroundTranscriber:
    """Embedded mode: a pool of threads, one per core, transcribes the messages without a live
    transcript, the oldest case first (its registration clock runs the longest); the minute
    sweep (`sweep`) picks up what a crash lost, ahead of newer ones.

    Threads, not processes: Vosk releases the GIL while it decodes, and two threads decode about
    twice what one does (bench/RESULTS.md, issue 18). The decoding itself runs on the live
    decoding threads behind the callers while calls are up (`Transcriber.step`); these threads do
    the rest (reading, storing, screening) at the process's priority: at nice +10 they held the
    GIL while the cores were busy and stalled the event loop (issue 18)."""

    def __init__(
        self, transcriber: Transcriber, *, workers: int = 0, retries: int = 10, retry_delay_s: float = 0.5
    ) -> None:
        self.transcriber = transcriber
        self.workers = workers or os.cpu_count() or 1
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self._queue: queue.PriorityQueue[tuple[float, int, str, int]] = queue.PriorityQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._order = itertools.count()
        self._closed = False
        self.done: list[Outcome] = []

    def submit(self, call_id: str, *, received: float | None = None) -> None:
        """Transcribe this call's message; `received` (a Unix time) orders the work, now by default.
        Once closed, nothing is taken: the case waits in the database for the next process's sweep."""
        with self._lock:
            if self._closed:
                return
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._run, name=f"transcription-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._queue.put((time.time() if received is None else received, next(self._order), call_id, 0))

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the threads once their message in hand is done (up to `timeout_s`). The messages
        still queued are not lost: their cases wait, `pending`, for the sweep of the next start."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put((float("-inf"), next(self._order), "", -1))  # before any work
        deadline = time.monotonic() + timeout_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def sweep(self) -> int:
        lost = self.transcriber.book.waiting_transcriptions(LOST_AFTER)
        for rank, call_id in enumerate(lost):  # oldest case first, before anything newer
            self.submit(call_id, received=float(rank))
        return len(lost)

    def _run(self) -> None:
        while True:
            received, _, call_id, attempt = self._queue.get()
            if attempt < 0:  # closed
                return
            try:
                self.done.append(self.transcriber.run(call_id))
                del self.done[:-100]
            except NotReady:
                if attempt < self.retries:
                    time.sleep(self.retry_delay_s)
                    self._queue.put((received, next(self._order), call_id, attempt + 1))
            except Exception:
                log.exception("transcription of call %s failed; the sweep tries again", call_id)
