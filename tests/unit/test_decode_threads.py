"""The live decoding threads (asr.threads): urgent work first, stored messages last, at the pool's priority,
errors handed to whoever waits, nothing started before the first decode."""

from __future__ import annotations

import os
import threading

import pytest

from asr.threads import DecodeThreads


def test_a_menu_decode_queued_behind_messages_runs_before_them() -> None:
    threads = DecodeThreads(1)
    gate, done = threading.Event(), []
    blocker = threads.submit(gate.wait, 5)  # the one thread is busy
    later = [threads.submit(done.append, f"message-{n}") for n in range(3)]
    menu = threads.submit(done.append, "menu", urgent=True)
    gate.set()
    for future in [blocker, *later, menu]:
        future.result(5)
    assert done == ["menu", "message-0", "message-1", "message-2"]
    threads.close()


def test_a_stored_message_is_decoded_piece_by_piece_after_every_caller_on_the_line() -> None:
    threads = DecodeThreads(1)
    gate, done = threading.Event(), []
    blocker = threads.submit(gate.wait, 5)
    stored = threading.Thread(
        target=lambda: [threads.in_background(lambda n=n: done.append(f"stored-{n}")) for n in range(2)]
    )
    while not blocker.running():  # the one thread is busy with it
        pass
    stored.start()
    while threads._queue.qsize() == 0:  # the first piece of the stored message is queued
        pass
    assert threads.waiting == 0 and threads.behind_s == 0.0  # it waits by design: the callers are not behind
    live = [threads.submit(done.append, "message"), threads.submit(done.append, "menu", urgent=True)]
    assert threads.waiting == 2 and threads.behind_s > 0.0
    gate.set()
    stored.join(5)
    for future in [blocker, *live]:
        future.result(5)
    # its second piece is queued after the callers' work that came meanwhile
    assert done == ["menu", "message", "stored-0", "stored-1"]
    threads.close()


def test_decoding_runs_at_the_pools_priority_and_an_error_reaches_the_caller() -> None:
    threads = DecodeThreads(1, nice=3)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    niceness = threads.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result(5)
    assert niceness == min(base + 3, 19)
    with pytest.raises(ZeroDivisionError):
        threads.submit(lambda: 1 / 0).result(5)
    assert threads.submit(lambda: "still decoding").result(5) == "still decoding"  # the thread lived on
    threads.close()


def test_no_thread_is_started_until_the_first_decode_and_none_after_closing() -> None:
    threads = DecodeThreads(2)
    assert threads.started == 0
    threads.submit(lambda: None).result(5)
    assert threads.started == 2
    threads.close()
    with pytest.raises(RuntimeError, match="closed"):
        threads.submit(lambda: None)
