"""The embedded transcription pool: the oldest case first, one thread per core.

The transcriber here is a stand-in that records the order it is asked in (the order is the pool's
logic; real transcription is tested in test_transcription.py and test_worker_faults.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from hotline.features.transcription.services import BackgroundTranscriber, NotReady, Outcome
from tests.unit.conftest import api_platform


class Recorder:
    def __init__(self, hold: threading.Event | None = None) -> None:
        self.hold = hold
        self.calls: list[str] = []
        self.priorities: list[int] = []
        self.book: Any = None

    def run(self, call_id: str) -> Outcome:
        self.priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        if call_id == "first" and self.hold is not None:
            self.hold.wait(5)
        self.calls.append(call_id)
        if call_id == "not-yet" and self.calls.count("not-yet") < 3:
            raise NotReady("recording not stored yet")
        return Outcome(call_id, "", "done", "file")


def wait_until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_waiting_messages_are_served_oldest_case_first() -> None:
    hold = threading.Event()
    recorder = Recorder(hold)
    pool = BackgroundTranscriber(recorder, workers=1)  # type: ignore[arg-type]
    pool.submit("first")
    wait_until(lambda: recorder.priorities)  # the one thread is busy with it
    pool.submit("received-30", received=30.0)
    pool.submit("received-10", received=10.0)
    pool.submit("received-20", received=20.0)
    hold.set()
    wait_until(lambda: len(recorder.calls) == 4)
    assert recorder.calls == ["first", "received-10", "received-20", "received-30"]


def test_the_pool_has_a_thread_per_core_at_the_process_priority() -> None:
    recorder = Recorder()
    pool = BackgroundTranscriber(recorder)  # type: ignore[arg-type]
    for n in range(4):
        pool.submit(f"c{n}")
    wait_until(lambda: len(recorder.calls) == 4)
    assert pool.workers == (os.cpu_count() or 1) and len(pool._threads) == pool.workers
    # its decoding waits behind the live callers on the decoding threads (test_decode_threads.py);
    # the rest holds the GIL at times, so it runs at the priority of the event loop
    assert set(recorder.priorities) == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_a_message_not_stored_yet_is_tried_again_in_its_place() -> None:
    recorder = Recorder()
    pool = BackgroundTranscriber(recorder, workers=1, retry_delay_s=0.01)  # type: ignore[arg-type]
    pool.submit("not-yet", received=1.0)
    wait_until(lambda: recorder.calls.count("not-yet") == 3)
    assert [o.call_id for o in pool.done] == ["not-yet"]


def test_a_stored_message_is_decoded_behind_the_callers_while_calls_are_up_and_on_every_core_when_none_is(
    seeded_pg: str, tmp_path: Path
) -> None:
    platform = api_platform(seeded_pg, tmp_path)
    try:
        where = platform.transcriber.step
        assert where is not None
        assert where(lambda: threading.current_thread().name) == threading.current_thread().name  # no call up
        platform.stasis.sessions["a-caller"] = None  # type: ignore[assignment]
        assert where(lambda: threading.current_thread().name).startswith("speech-live")  # behind the callers
    finally:
        platform.decoding.close()
        platform.engine.dispose()


def test_closing_stops_the_threads_after_their_message_and_takes_no_more() -> None:
    hold = threading.Event()
    recorder = Recorder(hold)
    pool = BackgroundTranscriber(recorder, workers=1)  # type: ignore[arg-type]
    pool.submit("first")
    wait_until(lambda: recorder.priorities)  # "first" is being transcribed
    pool.submit("queued")
    closing = threading.Thread(target=pool.close)
    closing.start()
    hold.set()
    closing.join(5)
    assert not closing.is_alive() and not any(t.is_alive() for t in pool._threads)
    pool.submit("after")
    time.sleep(0.1)
    # the message in hand was finished; the others wait, pending, for the next start's sweep
    assert recorder.calls == ["first"]
