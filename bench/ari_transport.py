"""ARI requests over HTTP against the same requests over the event socket (decision 0030).

    .venv/bin/python -m bench.ari_transport [--requests 1000] [--runs 3]

The bench Asterisk; one `AriClient`, first alone (HTTP, httpx), then routed through an
`AriEventSocket` (REST over WebSocket); `--requests` `GET /asterisk/variable` ten at a time, the
two ways alternating. Reported: the application's CPU per request and the wall time per request
(median and spread of `--runs`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.ivr_load import bench_settings, start_bench_asterisk
from telephony.ari.client import AriClient
from telephony.ari.events import AriEvent
from telephony.ari.socket import AriEventSocket

AT_ONCE = 10


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measure(client: AriClient, requests: int) -> tuple[float, float]:
    """CPU and wall milliseconds per request."""
    cpu, wall = _cpu_s(), time.perf_counter()
    for _ in range(requests // AT_ONCE):
        await asyncio.gather(*(client.get_variable("EPOCH") for _ in range(AT_ONCE)))
    return (_cpu_s() - cpu) * 1000 / requests, (time.perf_counter() - wall) * 1000 / requests


async def _bench(url: str, user: str, password: str, requests: int, runs: int) -> dict[str, list[float]]:
    http = AriClient(url, user, password, "bench-transport")
    routed = AriClient(url, user, password, "bench-transport")
    socket = AriEventSocket(url, user, password, "bench-transport")
    routed.route_through(socket)

    async def ignore(_event: AriEvent) -> None:
        return None

    reading = asyncio.create_task(socket.run(ignore))
    await asyncio.wait_for(socket.connected.wait(), 10)
    figures: dict[str, list[float]] = {"http cpu": [], "http wall": [], "socket cpu": [], "socket wall": []}
    try:
        for _ in range(runs):
            for name, client in (("http", http), ("socket", routed)):
                cpu, wall = await _measure(client, requests)
                figures[f"{name} cpu"].append(cpu)
                figures[f"{name} wall"].append(wall)
        assert routed.sent_over_socket == requests * runs, "some requests did not go over the socket"
    finally:
        reading.cancel()
        await http.aclose()
        await routed.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = bench_settings(Path(tempfile.mkdtemp(prefix="hotline-bench-")))
    asterisk = start_bench_asterisk(settings)
    try:
        figures = asyncio.run(
            _bench(settings.ari_url, settings.ari_user, settings.secret("ari_password"), args.requests, args.runs)
        )
    finally:
        asterisk.stop()
    summary = {k: [round(statistics.median(v), 3), round(min(v), 3), round(max(v), 3)] for k, v in figures.items()}
    print(json.dumps({"requests": args.requests, "at_once": AT_ONCE, "ms_per_request": summary}, indent=2))


if __name__ == "__main__":
    main()
