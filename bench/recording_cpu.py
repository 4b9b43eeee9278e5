"""The CPU cost of recording conversations: 100 at once, recorded and not, on the same Asterisk.

    .venv/bin/python -m bench.recording_cpu [--calls 100] [--hold 40] [--runs 3]

One Asterisk (the `bench` instance, the platform's configuration as rendered for production). SIPp
places `--calls` calls at once, each a conversation of `--hold` seconds: the caller speaks all
along (espeak-ng speech, G.711 u-law over RTP, as a phone sends), and the "agent" is a Local
channel answering with Echo(), so both directions carry voice through a bridge, as a caller and
an agent do. Two numbers of a site dialplan (extensions_local.conf):

- not recorded: Answer, then Dial the agent;
- recorded: the platform's own MixMonitor, as `[hotline-record-conversation]` starts it (the two
  voices mixed, and each side apart: three WAV files per call, only while bridged), then Dial.

Measured from outside Asterisk: its CPU (user + system, psutil) over each phase, per call-minute,
and the machine's busy share (from its idle time, the steadier measure here: see the comment in
`one_phase`); the phases alternate, `--runs` each; median and spread. The
recordings are checked (three files per call, the expected length) and deleted after each phase.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import psutil

from bench.ivr_load import _cpu, bench_settings, start_bench_asterisk
from bench.menu_speech import _busy_and_stolen, _machine, run_sipp, write_callers
from bench.rtp_pcap import CallerAudio, ulaw_of
from common.settings import Settings
from telephony.runtime.layout import resolve_layout
from tests.speech import speak

PLAIN, RECORDED = "77700001", "77700002"
CORES = psutil.cpu_count() or 1
SPEECH = "상담원 연결을 기다리고 있습니다 도로에 큰 구멍이 생겼어요 빨리 와 주세요"

# the recorded number records exactly as the platform's dialplan does (dialplans/extensions.conf.j2)
AGENTS_DIALPLAN = f"""; bench/recording_cpu.py: conversations with an echoing "agent", recorded or not
[hotline-incoming](+)
exten => {PLAIN},1,Answer()
 same => n,Dial(Local/agent@bench-agent/n)
 same => n,Hangup()
exten => {RECORDED},1,Answer()
 same => n,Set(HL_CONV=bench-${{REPLACE(UNIQUEID,.,-)}})
 same => n,Set(HL_CONV_DIR=${{HL_SPOOL}}/recording)
 same => n,MixMonitor(${{HL_CONV_DIR}}/${{HL_CONV}}-mixed.wav,br(${{HL_CONV_DIR}}/${{HL_CONV}}-caller.wav)t(${{HL_CONV_DIR}}/${{HL_CONV}}-agent.wav))
 same => n,Dial(Local/agent@bench-agent/n)
 same => n,Hangup()

[bench-agent]
exten => agent,1,Answer()
 same => n,Echo()
"""


def caller_audio(folder: Path, hold_s: float) -> float:
    """caller.pcap: the caller speaking, sentence after sentence, for `hold_s` seconds."""
    said = ulaw_of(speak(SPEECH, folder / "speech.wav"), folder)
    stream = CallerAudio(ssrc=0x4EC0C0DE)
    played = 0.0
    while played < hold_s:
        stream.audio(said).silence(400)
        played += len(said) / 8000 + 0.4
    return stream.write(folder / "caller.pcap")


def one_phase(
    name: str, number: str, settings: Settings, folder: Path, asterisk: psutil.Process, calls: int, recordings: Path
) -> dict[str, Any]:
    before, machine0, started = _cpu(asterisk), psutil.cpu_times(), time.monotonic()
    run_dir = run_sipp(settings, folder, number, calls, calls, float(calls))
    seconds = time.monotonic() - started
    cpu_s = _cpu(asterisk) - before
    busy, steal = _busy_and_stolen(machine0, psutil.cpu_times())
    stats = (run_dir / "stat.csv").read_text().splitlines()
    header, last = stats[0].split(";"), stats[-1].split(";")
    row = dict(zip(header, last, strict=False))
    files = sorted(recordings.glob("bench-*.wav"))
    lengths = [_seconds(f) for f in files if f.name.endswith("-mixed.wav")]
    for f in files:
        f.unlink()
    shutil.rmtree(run_dir, ignore_errors=True)
    talk_min = int(row["SuccessfulCall(C)"]) * (float(_hold_s(folder))) / 60
    figures = {
        "phase": name,
        "successful": int(row["SuccessfulCall(C)"]),
        "failed": int(row["FailedCall(C)"]),
        "seconds": round(seconds, 1),
        "asterisk_cpu_s": round(cpu_s, 2),
        "asterisk_cpu_ms_per_call_minute": round(cpu_s * 1000 / max(talk_min, 1e-9), 1),
        "asterisk_core_pct": round(100 * cpu_s / seconds, 1),
        "machine_busy_pct": busy,
        # the machine's own idle clock: per-process CPU is sampled at the timer tick, which the 20 ms
        # media timers of hundreds of threads meet often (top: Asterisk 50 % of a core, the machine 89 % idle)
        "machine_cpu_ms_per_call_minute": round(busy / 100 * CORES * seconds * 1000 / max(talk_min, 1e-9), 1),
        "steal_pct": steal,
        "recording_files": len(files),
        "recorded_s_median": round(statistics.median(lengths), 1) if lengths else 0,
    }
    print(json.dumps(figures), file=sys.stderr)
    return figures


def _seconds(path: Path) -> float:
    try:
        with wave.open(str(path)) as w:
            return float(w.getnframes() / w.getframerate())
    except (wave.Error, EOFError):
        return 0.0


def _hold_s(folder: Path) -> float:
    return float((folder / "hold_s").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--hold", type=float, default=40.0, help="seconds each conversation lasts")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    settings = bench_settings(data)
    asterisk = start_bench_asterisk(settings, local_dialplan=AGENTS_DIALPLAN)
    layout = resolve_layout(settings.asterisk)
    recordings = layout.host_path(layout.dir("spool")) / "recording"
    try:
        hold_s = caller_audio(data, args.hold)
        (data / "hold_s").write_text(str(hold_s))
        write_callers(data, args.calls, hold_s, "1393")
        proc = psutil.Process(asterisk.pid())
        for stale in recordings.glob("bench-*.wav"):  # an interrupted run's
            stale.unlink()
        time.sleep(5)  # Asterisk settled after its start
        runs: list[dict[str, Any]] = []
        for run in range(args.runs):
            plain = one_phase("not recorded", PLAIN, settings, data, proc, args.calls, recordings)
            recorded = one_phase("recorded", RECORDED, settings, data, proc, args.calls, recordings)
            runs.append({"run": run + 1, "plain": plain, "recorded": recorded})
        result: dict[str, Any] = {"machine": _machine(), "calls": args.calls, "hold_s": round(hold_s, 1)}
        result["summary"], result["runs"] = _summary(runs), runs
        out = Path(__file__).resolve().parent / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "recording_cpu.json").write_text(json.dumps(result, indent=2))
        print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
        failed = sum(int(r[side]["failed"]) for r in runs for side in ("plain", "recorded"))
        return 0 if failed == 0 else 1
    finally:
        asterisk.stop()


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median [min, max] of each figure, and what recording adds (per run, then the median)."""
    summary: dict[str, Any] = {}
    keys = (
        "asterisk_cpu_ms_per_call_minute",
        "machine_cpu_ms_per_call_minute",
        "asterisk_core_pct",
        "machine_busy_pct",
    )
    for key in (*keys, "failed"):
        for side in ("plain", "recorded"):
            values = [float(r[side][key]) for r in runs]
            summary[f"{side} {key}"] = [statistics.median(values), min(values), max(values)]
    added = [
        r["recorded"]["asterisk_cpu_ms_per_call_minute"] - r["plain"]["asterisk_cpu_ms_per_call_minute"] for r in runs
    ]
    summary["recording adds, ms of CPU per call-minute (Asterisk's)"] = [
        statistics.median(added),
        min(added),
        max(added),
    ]
    added = [
        r["recorded"]["machine_cpu_ms_per_call_minute"] - r["plain"]["machine_cpu_ms_per_call_minute"] for r in runs
    ]
    summary["recording adds, ms of CPU per call-minute (machine)"] = [statistics.median(added), min(added), max(added)]
    summary["recording files per call"] = [
        r["recorded"]["recording_files"] / max(1, r["recorded"]["successful"]) for r in runs
    ]
    return summary


if __name__ == "__main__":
    raise SystemExit(main())
