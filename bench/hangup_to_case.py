"""Hangup to routed case: how long after a caller stops speaking their message is a screened case.

    .venv/bin/python -m bench.hangup_to_case [--calls 12] [--concurrency 4] [--seconds 30]

Real calls (pjsua2 callers, `hotline call`) through a real Asterisk (instance `bench`) into the
platform (run in this process, embedded mode, PostgreSQL of the machine): each caller keys 1,
speaks a message of `--seconds` (Korean, espeak-ng) and hangs up in the middle of the recording,
as many callers do; half the calls instead press # and listen to their case number first.
Measured per call, from the platform's own events:
- end of message (`recording.finished`: the hangup, or #) to `case.transcribed` (the transcript is
  on the case and screening has registered/dispatched it or left it for an intake agent);
- which transcript was used (live: decoded while the caller spoke; file: decoded after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as host
import statistics
import tempfile
from pathlib import Path

import psycopg

from bench.ivr_load import bench_settings, percentile, start_bench_asterisk
from common.bus import PlatformEvent
from hotline.platform import Platform
from tests.e2e.helpers import place_call, prompt_seconds
from tests.speech import REPORT_KO, speak

PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def message(seconds: float, folder: Path) -> Path:
    one = speak(REPORT_KO, folder / "one.wav")
    out = folder / f"message-{int(seconds)}s.wav"
    import subprocess
    import wave

    with wave.open(str(one)) as w:
        length = w.getnframes() / w.getframerate()
    repeats = max(1, round(seconds / (length + 0.5)))
    parts: list[str] = []
    for _ in range(repeats):
        parts += [str(one)]
    subprocess.run(["sox", *parts, str(out), "pad", "0", "0.3"], check=True)
    return out


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="hotline-bench-speech-"))
    db = f"hotline_bench_speech_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    settings = bench_settings(data).model_copy(
        update={
            "database_url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
            "media_port_start": 47000,
            "media_port_end": 47999,
            "asr_max_live_streams": args.live,
        }
    )
    asterisk = start_bench_asterisk(settings)
    platform = Platform(settings)
    serving = asyncio.create_task(platform.serve(api=False))
    events: list[PlatformEvent] = []
    try:
        await asyncio.wait_for(platform.stasis.ready.wait(), 30)
        speech = message(args.seconds, data)
        intro = prompt_seconds(settings, "record-intro") + 1.2
        scripts = [
            f"wait 1; keys 1; wait {intro:.1f}; say {speech}; hangup",  # hangs up mid-recording
            f"wait 1; keys 1; wait {intro:.1f}; say {speech}; keys #; until-hangup 60",  # hears the number
        ]
        with platform.bus.subscribe(100_000) as sub:
            semaphore = asyncio.Semaphore(args.concurrency)

            async def one(i: int) -> None:
                async with semaphore:
                    await place_call(settings, "12345", scripts[i % 2], caller=f"1390000{i:04d}", timeout=300)

            async def collect() -> None:
                while True:
                    events.append(await sub.get())

            collector = asyncio.create_task(collect())
            await asyncio.gather(*(one(i) for i in range(args.calls)))
            deadline = asyncio.get_running_loop().time() + 120
            while asyncio.get_running_loop().time() < deadline:
                if sum(1 for e in events if e.name == "case.transcribed") >= args.calls:
                    break
                await asyncio.sleep(0.5)
            collector.cancel()
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await platform.close()
        asterisk.stop()
    stored = {e.data["case_number"]: e for e in events if e.name == "recording.stored"}
    finished = {e.call_id: e for e in events if e.name == "recording.finished"}
    outcomes = {o.number: o for o in platform.transcriptions.done}
    latencies, by_source = [], {"live": [], "file": []}
    for e in events:
        if e.name != "case.transcribed" or e.data["case"] not in stored:
            continue
        call_id = stored[e.data["case"]].call_id
        if call_id not in finished:
            continue
        seconds = (e.at - finished[call_id].at).total_seconds()
        latencies.append(seconds)
        source = outcomes[e.data["case"]].source if e.data["case"] in outcomes else "?"
        by_source.setdefault(source, []).append(seconds)
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return {
        "machine": f"{host.node()} {os.cpu_count()} cores",
        "calls": args.calls,
        "concurrency": args.concurrency,
        "live_streams_max": args.live,
        "message_s": args.seconds,
        "cases_transcribed": len(latencies),
        "end_of_message_to_screened_case_s": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": round(percentile(latencies, 95), 2) if latencies else None,
            "max": round(max(latencies), 2) if latencies else None,
        },
        "by_source": {k: [round(x, 2) for x in sorted(v)] for k, v in by_source.items() if v},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--live", type=int, default=4, help="HOTLINE_ASR_MAX_LIVE_STREAMS")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
