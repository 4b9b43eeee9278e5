"""Whether this process can take one more live stream: the event loop's lateness and the
decoders' queue, measured as the platform runs.

Why not a fixed number of streams: what a tap costs depends on the machine, on how many callers
speak, and on what else the process does. With a hundred reporting callers on two cores, every one
of them tapped, the event loop itself fell behind (RTP of a hundred taps, their voice gates, the
calls' own work): AMI and ARI requests timed out and 235 of 395 calls failed (issue 18,
bench/RESULTS.md). A call refused a live stream loses nothing: its message is transcribed from the
recording after the hangup, later. So a new stream is refused while the loop runs late, the
decoders are behind the callers (their oldest waiting decode, not how many are queued: each stream
queues its audio ten times a second), or Asterisk is slow to answer (a tap costs it three
channels), and the calls in progress keep theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from asr.threads import DecodeThreads

TICK_S = 0.1
MAX_LATE_S = 0.1  # the loop's timers this late on average: it has more to do than it can
MAX_ARI_LATENCY_S = 0.25  # Asterisk this slow to answer on average: its threads wait for the cores
MAX_BEHIND_S = 1.0  # callers' decodes waiting this long on average: the cores are behind the callers
DECAY = 0.9  # the average's weight per tick: about the last second (a moment's spike is not overload)


class LiveLoad:
    def __init__(self, threads: DecodeThreads | None, ari_latency: Callable[[], float] = lambda: 0.0) -> None:
        self.threads = threads
        self.ari_latency = ari_latency  # Asterisk's answer time to this process, a moving average
        self.late_s = 0.0  # how late the loop ran its timers lately (a moving average)
        self.behind_s = 0.0  # how long callers' decodes waited for a thread lately (a moving average)

    @property
    def full(self) -> bool:
        """No room for one more live stream now."""
        return self.late_s > MAX_LATE_S or self.behind_s > MAX_BEHIND_S or self.ari_latency() > MAX_ARI_LATENCY_S

    async def watch(self) -> None:
        """Measure the loop's lateness and the decoders' for as long as the process runs."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK_S)
            late = max(0.0, loop.time() - before - TICK_S)
            self.late_s = self.late_s * DECAY + late * (1 - DECAY)
            behind = self.threads.behind_s if self.threads is not None else 0.0
            self.behind_s = self.behind_s * DECAY + behind * (1 - DECAY)
