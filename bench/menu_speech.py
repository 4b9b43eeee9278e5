"""Every caller in the menu listened to, beside a dialplan-only menu on the same Asterisk (issue 18).

    .venv/bin/python -m bench.menu_speech [--calls 300] [--concurrency 100] [--rate 10] [--speakers 50]

One run, one Asterisk (the `bench` instance), one platform process (`hotline serve` with speech on,
the packaged Korean model, every caller's voice tapped: `HOTLINE_ASR_MAX_LIVE_STREAMS` as shipped):

1. the peer: SIPp callers dial 88812345, answered by Asterisk alone with a dialplan-only menu
   (Background + WaitExten, what a FreePBX-style center runs), the same greeting and menu prompts;
2. the platform: the same callers dial 12345 (the IVR over ARI; each caller's voice tapped, gated
   by the voice detector, decoded when it is voice);
   each caller sends what a phone sends while its owner listens: a quiet line (white noise at
   -60 dBFS, G.711 u-law) for 15 s, then presses 2, and hangs up a second later;
3. speakers: `--speakers` callers dial 12345 within a second and, 1.5 s after the greeting, all
   say 상담원 ("agent", espeak-ng) at the same moment, then listen 25 s; understood = the IVR took
   the word for the key 0 (`ivr.said key=0` in the platform's log). The platform warms as many
   recognizers at start (`HOTLINE_ASR_WARM_AT_START`), as a center expecting them would.

For phases 1 and 2: failed calls, INVITE -> 200 OK (SIPp's response time, every call) p50/p95, and
CPU per call of the application and of Asterisk (psutil, user + system over the phase); phase 2's
figures also as a ratio to the peer's. From the platform's own `media.tap_ended` events: seconds of
audio received, let through by the gate and decoded per call.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.ivr_load import _cpu, bench_settings, env_for, percentile, start_bench_asterisk
from bench.report_load import _wait_ready, _wait_warmed
from bench.rtp_pcap import CallerAudio, ulaw_of
from common.paths import prompts_dir
from common.settings import Settings
from tests.speech import MENU_WORDS_KO, speak

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = HERE / "sipp" / "menu_audio_uac.xml"
PEER_NUMBER = "88812345"
SIPP_PORT, SIPP_MEDIA_PORT = 5290, 46000

# The peer: Asterisk alone, the platform's own prompts (8 kHz WAVs in its sounds folder).
PEER_DIALPLAN = f"""; bench/menu_speech.py: a dialplan-only menu, the peer of the platform's IVR
[hotline-incoming](+)
exten => {PEER_NUMBER},1,Answer()
 same => n,Set(CHANNEL(language)=zh)
 same => n,Background(${{HL_SOUNDS}}/zh/greeting-mayor&${{HL_SOUNDS}}/zh/recording-notice&${{HL_SOUNDS}}/zh/menu)
 same => n,WaitExten(20)
exten => 1,1,Playback(${{HL_SOUNDS}}/zh/record-intro)
 same => n,Hangup()
exten => 2,1,Playback(${{HL_SOUNDS}}/zh/status-enter)
 same => n,WaitExten(10)
exten => 0,1,Playback(${{HL_SOUNDS}}/zh/no-agent)
 same => n,Hangup()
exten => t,1,Hangup()
exten => i,1,Hangup()
"""


@dataclass
class Phase:
    name: str
    calls: int
    successful: int
    failed: int
    setup_ms: list[float]
    app_cpu_s: float
    asterisk_cpu_s: float
    seconds: float = 0.0
    busy_pct: float = 0.0  # of the machine's cores over the phase (every process)
    steal_pct: float = 0.0  # of the cores' time the hypervisor gave to other machines

    def figures(self, idle_cpu_per_s: float = 0.0) -> dict[str, Any]:
        per = max(1, self.successful)
        net = max(0.0, self.app_cpu_s - idle_cpu_per_s * self.seconds)
        return {
            "calls": self.calls,
            "successful": self.successful,
            "failed": self.failed,
            "setup_ms_p50": round(statistics.median(self.setup_ms), 1) if self.setup_ms else None,
            "setup_ms_p95": round(percentile(self.setup_ms, 95), 1),
            "app_cpu_ms_per_call": round(self.app_cpu_s / per * 1000, 1),
            "app_cpu_ms_per_call_net": round(net / per * 1000, 1),  # less what it spends idle
            "asterisk_cpu_ms_per_call": round(self.asterisk_cpu_s / per * 1000, 1),
            "machine_busy_pct": self.busy_pct,
            "steal_pct": self.steal_pct,
        }


def quiet_line(seconds: float, folder: Path) -> Path:
    """A phone line nobody speaks on: white noise at -60 dBFS, 8 kHz."""
    samples = np.random.default_rng(11).normal(0, 10 ** (-60 / 20) * 32768, int(seconds * 8000))
    path = folder / "line.wav"
    subprocess.run(
        ["sox", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-", str(path)],
        input=np.clip(samples, -32768, 32767).astype("<i2").tobytes(),
        check=True,
        capture_output=True,
    )
    return path


def _greeting_s(settings: Settings) -> float:
    """The greeting as callers hear it before the menu, the recording notice after it (the peer
    plays the notice too: a center that records says so, whatever runs its menu)."""
    notice = prompt_s(settings, "recording-notice") if settings.record_conversations else 0.0
    return prompt_s(settings, "greeting-mayor") + notice


def prompt_s(settings: Settings, name: str) -> float:
    import wave

    with wave.open(str(prompts_dir(settings) / "zh" / f"{name}.wav")) as w:
        return float(w.getnframes() / w.getframerate())


def run_sipp(settings: Settings, folder: Path, number: str, calls: int, concurrency: int, rate: float) -> Path:
    run_dir = Path(tempfile.mkdtemp(prefix=f"sipp-{number}-", dir=folder))
    shutil.copy(SCENARIO, run_dir)
    shutil.copy(folder / "caller.pcap", run_dir)
    shutil.copy(folder / "callers.csv", run_dir)
    subprocess.run(
        [
            "sipp",
            "-sf",
            SCENARIO.name,
            "-inf",
            "callers.csv",
            "-s",
            number,
            f"127.0.0.1:{settings.sip_port}",
            "-i",
            "127.0.0.1",
            "-p",
            str(SIPP_PORT),
            "-mp",
            str(SIPP_MEDIA_PORT),
            "-l",
            str(concurrency),
            "-m",
            str(calls),
            "-r",
            str(rate),
            "-nostdin",
            "-trace_stat",
            "-stf",
            "stat.csv",
            "-trace_rtt",
            "-rtt_freq",
            "1",
            "-trace_err",
            "-recv_timeout",
            "30000",
            "-timeout",
            "900",
            "-timeout_error",
        ],
        cwd=run_dir,
        capture_output=True,
        text=True,
    )
    return run_dir


def phase(
    name: str,
    settings: Settings,
    folder: Path,
    number: str,
    procs: tuple[psutil.Process, psutil.Process],
    calls: int,
    concurrency: int,
    rate: float,
) -> Phase:
    app0, ast0, machine0 = _cpu(procs[0]), _cpu(procs[1]), psutil.cpu_times()
    started = time.monotonic()
    print(f"{name}: {calls} calls to {number}, {concurrency} at once, {rate}/s", file=sys.stderr)
    run_dir = run_sipp(settings, folder, number, calls, concurrency, rate)
    time.sleep(3)  # the last hangups' work
    stats = list(csv.DictReader((run_dir / "stat.csv").open(), delimiter=";"))[-1]
    setup = [
        float(row[1])
        for f in run_dir.glob("*_rtt.csv")
        for row in csv.reader(f.open(), delimiter=";")
        if row and row[0][:1].isdigit()
    ]
    return Phase(
        name,
        calls,
        int(stats["SuccessfulCall(C)"]),
        int(stats["FailedCall(C)"]),
        setup,
        _cpu(procs[0]) - app0,
        _cpu(procs[1]) - ast0,
        time.monotonic() - started,
        *_busy_and_stolen(machine0, psutil.cpu_times()),
    )


def _busy_and_stolen(before: Any, after: Any) -> tuple[float, float]:
    """The share of the machine's time busy, and stolen by the hypervisor, between two readings:
    a loaded host gives a guest less than its cores (the same code measured 36 ms and 1.1 s of
    INVITE -> 200 OK p95 on two days, bench/RESULTS.md)."""
    total = sum(after) - sum(before)
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    steal = after.steal - before.steal
    return round(100 * (1 - idle / total), 1), round(100 * steal / total, 1)


def write_callers(folder: Path, calls: int, hold_s: float, prefix: str) -> None:
    rows = [f"{prefix}{i:06d};{round(hold_s * 1000)}" for i in range(1, calls + 1)]
    (folder / "callers.csv").write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")


def taps_ended(log_text: str, since: int) -> list[dict[str, float]]:
    found = re.finditer(
        r"media\.tap_ended heard_s=(\S+) voiced_s=(\S+) decoded_s=(\S+) decode_ms=(\S+)", log_text[since:]
    )
    return [
        {"heard_s": float(m[1]), "voiced_s": float(m[2]), "decoded_s": float(m[3]), "decode_ms": float(m[4])}
        for m in found
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3, help="peer and platform phases, alternating")
    parser.add_argument("--speakers", type=int, default=50, help="callers saying a word at once (0: none)")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    # as shipped, except: warm recognizers for the speakers at start (HOTLINE_ASR_WARM_AT_START)
    warm = max(args.speakers, Settings.model_fields["asr_warm_at_start"].default)
    settings = bench_settings(data).model_copy(update={"asr_warm_at_start": warm, "asr_keep_recognizers": warm + 8})
    asterisk = start_bench_asterisk(settings, local_dialplan=PEER_DIALPLAN)
    serve_log_path = data / "serve.log"
    serve_log = serve_log_path.open("wb")
    env = env_for(settings, "asr_warm_at_start", "asr_keep_recognizers")
    app = subprocess.Popen(
        [sys.executable, "-m", "hotline", "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=serve_log
    )
    try:
        _wait_ready(f"http://127.0.0.1:{settings.api_port}/status", app)
        _wait_warmed(serve_log_path)
        procs = (psutil.Process(app.pid), psutil.Process(asterisk.pid()))
        idle_cpu_s = _idle_rate(procs[0])
        menu_s = _greeting_s(settings) + prompt_s(settings, "menu")
        line = quiet_line(15, data)
        stream = CallerAudio()
        hold_s = stream.audio(ulaw_of(line, data)).key("2").silence(1000).write(data / "caller.pcap")
        write_callers(data, args.calls, hold_s, "1391")
        result: dict[str, Any] = {
            "machine": _machine(),
            "caller_s": hold_s,
            "app_idle_cpu_ms_per_s": round(idle_cpu_s * 1000, 1),
            "warm_recognizers": warm,
            "runs": [],
        }
        for run in range(args.runs):
            peer = phase("peer", settings, data, PEER_NUMBER, procs, args.calls, args.concurrency, args.rate)
            since = serve_log_path.stat().st_size
            ours = phase("platform", settings, data, "12345", procs, args.calls, args.concurrency, args.rate)
            taps = taps_ended(serve_log_path.read_text(errors="replace"), since)
            figures = {
                "peer": peer.figures(idle_cpu_s),
                "platform": ours.figures(idle_cpu_s),
                "taps": _tap_figures(taps),
            }
            print(f"run {run + 1}: {json.dumps(figures)}", file=sys.stderr)
            result["runs"].append(figures)
        result["summary"] = _summary(result["runs"]) if result["runs"] else {}
        if args.speakers:
            result["speakers"] = speakers(settings, data, args.speakers, menu_s, procs, serve_log_path)
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "menu_speech.json").write_text(json.dumps(result, indent=2))
        print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
        failed = sum(r[side]["failed"] for r in result["runs"] for side in ("peer", "platform"))
        return 0 if failed == 0 else 1
    finally:
        app.terminate()
        app.wait(10)
        serve_log.close()
        asterisk.stop()


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and spread (min-max) of each figure over the runs, and the platform's as a ratio to
    the peer's (median of the runs' ratios)."""
    summary: dict[str, Any] = {}
    for key in ("failed", "setup_ms_p50", "setup_ms_p95", "app_cpu_ms_per_call", "app_cpu_ms_per_call_net"):
        for side in ("peer", "platform"):
            values = [float(r[side][key]) for r in runs]
            summary[f"{side} {key}"] = [statistics.median(values), min(values), max(values)]
    for key in ("setup_ms_p95", "asterisk_cpu_ms_per_call"):
        ratios = [r["platform"][key] / r["peer"][key] for r in runs if r["peer"][key]]
        summary[f"ratio {key}"] = round(statistics.median(ratios), 2) if ratios else None
    values = [float(r["peer"]["asterisk_cpu_ms_per_call"]) for r in runs]
    summary["peer asterisk_cpu_ms_per_call"] = [statistics.median(values), min(values), max(values)]
    values = [float(r["platform"]["asterisk_cpu_ms_per_call"]) for r in runs]
    summary["platform asterisk_cpu_ms_per_call"] = [statistics.median(values), min(values), max(values)]
    return summary


def _idle_rate(app: psutil.Process, seconds: float = 20.0) -> float:
    """The application's CPU per second with no call (its jobs, its clocks): subtracted per phase."""
    before = _cpu(app)
    time.sleep(seconds)
    return (_cpu(app) - before) / seconds


def speakers(
    settings: Settings, data: Path, count: int, menu_s: float, procs: tuple[psutil.Process, psutil.Process], log: Path
) -> dict[str, Any]:
    """`count` callers within a second, each saying the menu's word for an agent at the same moment."""
    word, speed = MENU_WORDS_KO["0"]
    folder = data / "speakers"
    folder.mkdir()
    said = speak(word, folder / "word.wav", speed=speed)
    stream = CallerAudio(ssrc=0x5A1D0001)
    start_s = _greeting_s(settings) + 1.5
    hold_s = (
        stream.silence(round(start_s * 1000)).audio(ulaw_of(said, folder)).silence(25000).write(folder / "caller.pcap")
    )
    write_callers(folder, count, hold_s, "1392")
    since = log.stat().st_size
    app0 = _cpu(procs[0])
    figures = phase("speakers", settings, folder, "12345", procs, count, count, count)
    text = log.read_text(errors="replace")[since:]
    keys = re.findall(r" ivr\.said key=(\S+)", text)
    taps = taps_ended(text, 0)
    return {
        **figures.figures(),
        "understood": keys.count("0"),
        "heard_as_other_keys": len(keys) - keys.count("0"),
        "app_cpu_s": round(_cpu(procs[0]) - app0, 1),
        "taps": _tap_figures(taps),
        "menu_s": round(menu_s, 1),
    }


def _tap_figures(taps: list[dict[str, float]]) -> dict[str, Any]:
    if not taps:
        return {"calls": 0}
    return {
        "calls": len(taps),
        "heard_s_mean": round(statistics.mean(t["heard_s"] for t in taps), 2),
        "voiced_s_mean": round(statistics.mean(t["voiced_s"] for t in taps), 2),
        "decoded_s_mean": round(statistics.mean(t["decoded_s"] for t in taps), 2),
        "decode_ms_mean": round(statistics.mean(t["decode_ms"] for t in taps), 1),
    }


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    return f"{platform.node()}: {os.cpu_count()} cores ({model}), {psutil.virtual_memory().total // 2**30} GiB"


def _cpuinfo() -> list[str]:
    path = Path("/proc/cpuinfo")
    return path.read_text().splitlines() if path.exists() else []


if __name__ == "__main__":
    raise SystemExit(main())
