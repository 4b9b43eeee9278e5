"""Room for one more live stream (telephony.media.load): refused while the event loop runs late
on average or the callers' decodes wait long for a thread; a moment's stall is not overload."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from asr.threads import DecodeThreads
from telephony.media.load import TICK_S, LiveLoad


async def _watching(load: LiveLoad, seconds: float, *, stall_s: float = 0.0, every_s: float = 1.0) -> None:
    """Let `load` watch the loop for `seconds` while the loop is blocked `stall_s` every `every_s`."""
    watcher = asyncio.create_task(load.watch())
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(every_s)
        time.sleep(stall_s)  # noqa: ASYNC251 (the point: the loop busy with calls)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher


async def test_an_idle_loop_and_a_single_stall_leave_room() -> None:
    load = LiveLoad(None)
    await _watching(load, 1.0)
    assert not load.full and load.late_s < 0.01
    await _watching(load, 1.1, stall_s=0.3, every_s=1.0)  # one 300 ms stall
    assert not load.full, load.late_s


async def test_a_loop_kept_busy_most_of_the_time_is_full() -> None:
    load = LiveLoad(None)
    await _watching(load, 2.0, stall_s=0.4, every_s=TICK_S / 10)  # 400 ms of work for each tick
    assert load.full, load.late_s


async def test_callers_decodes_kept_waiting_mean_full_however_few_are_queued() -> None:
    threads = DecodeThreads(1)
    gate = threading.Event()
    load = LiveLoad(threads)
    quick = [threads.submit(lambda: None) for _ in range(8)]  # eight streams' audio, decoded at once
    await _watching(load, 0.5)
    assert not load.full and threads.behind_s == 0.0, load.behind_s
    threads.submit(gate.wait, 10)  # the one thread is busy for long
    queued = threads.submit(lambda: None)  # one stream's audio waits behind it
    await _watching(load, 2.5)
    assert load.full and threads.waiting == 1, load.behind_s
    gate.set()
    queued.result(5)
    await _watching(load, 2.5)
    assert not load.full, load.behind_s  # caught up: room again
    for future in quick:
        future.result(5)
    threads.close()


def test_asterisk_slow_to_answer_means_full() -> None:
    latency = [0.01]
    load = LiveLoad(None, lambda: latency[0])
    assert not load.full
    latency[0] = 0.4  # ARI requests answered in 400 ms on average: Asterisk waits for the cores
    assert load.full
