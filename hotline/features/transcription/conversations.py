"""Both sides of recorded conversations, transcribed (issue 19): what the caller said and what
the agent said, apart, from the two files Asterisk recorded. Not urgent (the agent heard it all
and wrote the case), so one thread does it, behind live callers and messages (`step`), and a
conversation a crash left untranscribed is found again at the next wake-up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asr.engine import SpeechEngine
from asr.errors import AsrError
from casebook.cases.services import CaseBook

log = logging.getLogger(__name__)

IDLE_S = 60.0  # how often untranscribed conversations are looked for without being told


class ConversationTranscriber:
    def __init__(self, book: CaseBook, engine: Callable[[], SpeechEngine]) -> None:
        self.book = book
        self._engine = engine
        self.step: Callable[[Callable[[], Any]], Any] | None = None  # where decoding runs
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.done = 0

    def submit(self) -> None:
        """There is a conversation to transcribe: the thread (started on first use) wakes up."""
        self.start()
        self._wake.set()

    def start(self) -> None:
        """The thread, without waking it: what a crash left untranscribed is looked for after
        `IDLE_S`, not while the process starts (decoding then would slow the calls' first answers)."""
        with self._lock:
            if self._closed:
                return  # what is waiting is found by the next process
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="conversation-transcripts", daemon=True)
                self._thread.start()

    def run_once(self) -> int:
        """Transcribe every conversation waiting; how many were done."""
        done = 0
        while jobs := self.book.conversations.waiting_transcripts():
            for conversation_id, caller, agent in jobs:
                self._transcribe(conversation_id, caller, agent)
                done += 1
        self.done += done
        return done

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the thread once the conversation in hand is done (up to `timeout_s`)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            self._wake.wait(IDLE_S)
            self._wake.clear()
            if self._closed:
                return
            try:
                self.run_once()
            except Exception:
                log.exception("conversation transcripts failed; tried again at the next wake-up")

    def _transcribe(self, conversation_id: int, caller: str | None, agent: str | None) -> None:
        texts: list[str | None] = []
        failed = False
        for path in (caller, agent):
            if path is None:
                texts.append(None)
                continue
            try:
                audio = Path(path).read_bytes()
                texts.append(self._engine().transcribe_wav(audio, step=self.step).text)
            except (AsrError, OSError) as exc:
                log.warning("conversation %d: one side not transcribed (%s)", conversation_id, exc)
                texts.append(None)
                failed = True
        self.book.conversations.keep_transcripts(conversation_id, texts[0], texts[1], failed=failed)
