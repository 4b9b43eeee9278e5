"""SIPp load of reporting callers: many callers leave a message at once, each one a case.

Measures what issue 7 asks: `--concurrency` calls held for `--minutes`, each keying 1, speaking
a message and keying #, with zero failed calls and exactly one case per call (none missing, none
twice); how long after its # each caller's case was opened, how long after the last call the last
case was; the CPU of the platform and of Asterisk; and the transcription backlog (messages beyond
the live streams are decoded from the stored file after the call) and how long it takes to drain.

Runs its own Asterisk instance (`bench`, as bench/ivr_load.py) and the platform as a separate
process (`hotline serve`, embedded task mode, the packaged Vosk model) on a PostgreSQL database
of its own (`hotline_bench_load` on the machine's server, created afresh and migrated each run).

    .venv/bin/python -m bench.report_load --concurrency 100 --minutes 5
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.ivr_load import bench_settings, env_for, percentile, start_bench_asterisk
from bench.pg import ADMIN, create_database, database_url
from bench.report_load_db import (
    backlog,
    backlog_audio_at,
    call_cases,
    drain,
    key_to_case_s,
    key_to_routed_by_source,
    key_to_routed_s,
    last_transcript_at,
    one_core_rtf,
    transcript_sources,
)
from bench.rtp_pcap import CallerAudio, ulaw_of
from common.paths import prompts_dir
from common.settings import Settings
from ivr.lines import load_lines
from telephony.calls.recordings import APP_PREFIX, DONE_FAMILY, FAMILY
from telephony.runtime.layout import resolve_layout
from telephony.runtime.process import AsteriskProcess
from tests.speech import REPORT_KO, speak

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = HERE / "sipp" / "report_uac.xml"
SIPP_PORT, SIPP_MEDIA_PORT = 5291, 46100
TONE_S = 1.2  # the tone after record-intro, and Asterisk starting the recording
MARGIN_S = 1.5  # slack for prompts starting late on a busy machine
CALLER_PREFIX = "139"  # callers 139xxxxxxxx, numbered by call (synthetic, unique per run)


@dataclass(frozen=True)
class CallPlan:
    """What each SIPp caller sends and when, timed by the prompts' real lengths. RTP flows the
    whole call, as from a phone: silence while the caller listens."""

    key_s: float  # answer -> key 1 (the greeting, then a little of the menu)
    first_s: float  # the first file: silence, key 1, silence through record-intro and its tone
    speech_s: float  # the message
    readback_s: float  # # -> the platform's hangup, as the prompts last

    @property
    def call_s(self) -> float:
        return self.first_s + self.speech_s + 0.6 + self.readback_s


def prompt_s(settings: Settings, name: str, language: str = "zh") -> float:
    with wave.open(str(prompts_dir(settings) / language / f"{name}.wav")) as wav:
        return float(wav.getnframes() / wav.getframerate())


def make_audio(settings: Settings, number: str, folder: Path) -> CallPlan:
    """The three pcap files of a reporting caller (in `folder`) and how long each lasts."""
    line = load_lines(settings.lines_file).by_number(number)
    if line is None:
        raise SystemExit(f"no line {number} in the lines file")
    key_s = prompt_s(settings, f"greeting-{line.code}") + 1.5
    intro_s = prompt_s(settings, "record-intro") + TONE_S + MARGIN_S
    digit_s = statistics.mean(prompt_s(settings, f"digit-{d}") for d in "0123456789")
    readback_s = sum(prompt_s(settings, p) for p in ("case-opened", "case-number-again", "goodbye")) + 20 * digit_s
    message = speak(REPORT_KO, folder / "message.wav")
    stream = CallerAudio()
    first = stream.silence(round(key_s * 1000)).key("1").silence(round(intro_s * 1000)).write(folder / "key1.pcap")
    speech = stream.audio(ulaw_of(message, folder)).silence(300).write(folder / "speech.pcap")
    # after the #, silence until the platform hangs up (the file outlasts any readback)
    stream.silence(200).key("#").silence(round((readback_s + 60) * 1000)).write(folder / "pound.pcap")
    return CallPlan(key_s=round(key_s, 2), first_s=first, speech_s=speech, readback_s=round(readback_s, 1))


def callers_file(path: Path, calls: int, plan: CallPlan) -> list[str]:
    """SIPp's injection file: one line per call (its own caller number and the pauses)."""
    numbers = [f"{CALLER_PREFIX}{i:08d}" for i in range(1, calls + 1)]
    rows = [f"{n};{round(plan.first_s * 1000)};{round(plan.speech_s * 1000)}" for n in numbers]
    path.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")
    return numbers


def clear_leftover_messages(asterisk: AsteriskProcess, settings: Settings) -> int:
    """Forget messages an earlier run left in the bench Asterisk (a run stopped midway leaves
    recordings and their facts, which the platform would rightly turn into cases of this run's
    fresh database); return how many recordings were removed."""
    for family in (FAMILY, DONE_FAMILY):
        asterisk.cli(f"database deltree {family}", check=False)
    layout = resolve_layout(settings.asterisk)
    folder = layout.host_path(layout.dir("spool")) / "recording"
    removed = 0
    for leftover in folder.glob("*"):
        if leftover.is_file() and leftover.name.startswith((APP_PREFIX, "fb-")):
            leftover.unlink()
            removed += 1
    return removed


# --- sampling while the calls run ---------------------------------------------------------------
class Sampler:
    """Every half second: calls in the application (/status), load average, the platform's
    connections to ARI; backlog of the transcriptions (every 5 s, from the database)."""

    def __init__(self, status_url: str, pg: str, app: psutil.Process, ari_port: int) -> None:
        self.status_url = status_url
        self.pg = pg
        self.app = app
        self.ari_port = ari_port
        self.peak_ari_sockets = 0  # the platform's TCP connections to ARI (its pool holds at most 50)
        self.peak_ari_close_wait = 0  # of them closed by Asterisk but not by the platform
        self.peak_calls = 0
        self.peak_load1 = 0.0
        self.peak_backlog = 0
        self.timeline: list[tuple[float, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            calls = -1
            try:
                calls = int(httpx.get(self.status_url, timeout=2).json()["components"]["stasis"]["detail"]["calls"])
                self.peak_calls = max(self.peak_calls, calls)
            except (httpx.HTTPError, KeyError, ValueError, TypeError):
                pass
            load1 = os.getloadavg()[0]
            self.peak_load1 = max(self.peak_load1, load1)
            self.timeline.append((round(time.monotonic() - self.started, 1), calls, round(load1, 2)))
            with contextlib.suppress(psutil.Error):
                ari = [c for c in self.app.net_connections("tcp") if c.raddr and c.raddr.port == self.ari_port]
                self.peak_ari_sockets = max(self.peak_ari_sockets, len(ari))
                waiting = sum(1 for c in ari if c.status == psutil.CONN_CLOSE_WAIT)
                self.peak_ari_close_wait = max(self.peak_ari_close_wait, waiting)
            if tick % 10 == 0:
                with contextlib.suppress(psycopg.Error):
                    self.peak_backlog = max(self.peak_backlog, backlog(self.pg))
            tick += 1
            self._stop.wait(0.5)


def stuck_ari_connections(app: psutil.Process, ari_port: int, status_url: str, *, ended: float) -> int:
    """The platform's ARI connections still held after the calls: Asterisk closes an idle HTTP
    connection after 15 s; one request through the platform's pool (/status asks Asterisk) then
    drops the idle ones it holds, so what stays half-closed is held by a request never finished."""
    time.sleep(max(0.0, ended + 20 - time.monotonic()))
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(status_url, timeout=10)
    time.sleep(1)
    return sum(
        1
        for c in app.net_connections("tcp")
        if c.raddr and c.raddr.port == ari_port and c.status == psutil.CONN_CLOSE_WAIT
    )


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _sipp_stats(run_dir: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    rows = list(csv.DictReader((run_dir / "stat.csv").open(), delimiter=";"))
    return rows[-1], rows


def _held_s(rows: list[dict[str, str]], concurrency: int) -> float:
    """Seconds during which SIPp had all `concurrency` calls up (its periodic statistics)."""
    times = [_elapsed(r["ElapsedTime(C)"]) for r in rows if int(r["CurrentCall"]) >= concurrency]
    return round(max(times) - min(times), 1) if times else 0.0


def _elapsed(hms: str) -> float:
    h, m, s = hms.split(":")[:3]
    return int(h) * 3600 + int(m) * 60 + float(s)


# --- the run ---------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=100, help="calls up at once (SIPp -l)")
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the calls are kept up")
    parser.add_argument(
        "--rate", type=float, default=None, help="new calls per second (default: ramp up in half a call)"
    )
    parser.add_argument("--number", default="12345")
    parser.add_argument("--live", type=int, default=None, help="HOTLINE_ASR_MAX_LIVE_STREAMS (default: the platform's)")
    parser.add_argument("--http", action="store_true", help="ARI requests over HTTP (HOTLINE_ARI_OVER_SOCKET=false)")
    parser.add_argument("--database", default="hotline_bench_load")
    parser.add_argument("--drain-timeout", type=float, default=3600.0, help="seconds to wait for the transcriptions")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards (default: kept to look at)")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="hotline-bench-report-"))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    create_database(args.database, replace=True)
    pg_url = database_url(args.database)
    pg = pg_url.replace("postgresql+psycopg://", "postgresql://")
    settings = bench_settings(data).model_copy(update={"database_url": pg_url})
    extra = ["task_mode"]
    if args.live is not None:
        settings = settings.model_copy(update={"asr_max_live_streams": args.live})
        extra.append("asr_max_live_streams")
    if args.http:
        settings = settings.model_copy(update={"ari_over_socket": False})
        extra.append("ari_over_socket")
    asterisk = start_bench_asterisk(settings)  # also migrates the database
    leftovers = clear_leftover_messages(asterisk, settings)

    run_dir = Path(tempfile.mkdtemp(prefix="sipp-", dir=data))
    plan = make_audio(settings, args.number, run_dir)
    # at the limit, a call ends and the next starts: `concurrency` calls are up from the ramp until
    # the last call has started, about (calls / concurrency - 1) call lengths
    calls = max(1, math.ceil(args.concurrency * (args.minutes * 60 / plan.call_s + 1)))
    rate = args.rate or round(2 * args.concurrency / plan.call_s, 2)
    numbers = callers_file(run_dir / "callers.csv", calls, plan)
    shutil.copy(SCENARIO, run_dir)

    serve_log_path = data / "serve.log"
    serve_log = serve_log_path.open("wb")
    app = subprocess.Popen(
        [sys.executable, "-m", "hotline", "serve"],
        cwd=ROOT,
        env=env_for(settings, *extra),
        stdout=subprocess.DEVNULL,
        stderr=serve_log,
    )
    status_url = f"http://127.0.0.1:{settings.api_port}/status"
    try:
        _wait_ready(status_url, app)
        _wait_warmed(serve_log_path)
        app_proc = psutil.Process(app.pid)
        ast_proc = psutil.Process(asterisk.pid())
        app_cpu0, ast_cpu0 = _cpu(app_proc), _cpu(ast_proc)
        machine_cpu0 = psutil.cpu_times()
        timeout_s = int(args.minutes * 60 + plan.call_s * 4 + 600)
        print(
            f"placing {calls} calls, {args.concurrency} at once, {rate} calls/s; "
            f"a call lasts about {plan.call_s:.0f} s ({plan})",
            file=sys.stderr,
        )
        with Sampler(status_url, pg, app_proc, settings.ari_port) as sampler:
            started = time.monotonic()
            sipp = subprocess.run(
                [
                    "sipp",
                    "-sf",
                    SCENARIO.name,
                    "-inf",
                    "callers.csv",
                    "-s",
                    args.number,
                    f"127.0.0.1:{settings.sip_port}",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(SIPP_PORT),
                    "-mp",
                    str(SIPP_MEDIA_PORT),
                    "-l",
                    str(args.concurrency),
                    "-m",
                    str(calls),
                    "-r",
                    str(rate),
                    "-nostdin",
                    "-trace_stat",
                    "-fd",
                    "1",
                    "-stf",
                    "stat.csv",
                    "-trace_rtt",
                    "-rtt_freq",
                    "1",
                    "-trace_err",
                    "-recv_timeout",  # an answer within 30 s (the BYE has its own 120 s in the scenario)
                    "30000",
                    "-timeout",
                    str(timeout_s),
                    "-timeout_error",
                ],
                cwd=run_dir,
                capture_output=True,
                text=True,
            )
            calls_s = time.monotonic() - started
            ended_at = datetime.now(UTC)
            app_cpu_calls, ast_cpu_calls = _cpu(app_proc) - app_cpu0, _cpu(ast_proc) - ast_cpu0
            machine_busy = _busy_cores(machine_cpu0, psutil.cpu_times(), calls_s)

            calls_ended = time.monotonic()
            backlog_at_end = backlog(pg)
            # every case that will come is there within a minute of the last call (they are opened at the #)
            stats, rows = _sipp_stats(run_dir)
            created = int(stats["TotalCallCreated"])
            while time.monotonic() - calls_ended < 60 and len(call_cases(pg)) < created:
                time.sleep(1)
            time.sleep(3)  # the call log is written once a second
            stuck = stuck_ari_connections(app_proc, settings.ari_port, status_url, ended=calls_ended)
            app_cpu1 = _cpu(app_proc)
            left = drain(pg, calls_ended, args.drain_timeout, app)
            last_transcript = last_transcript_at(pg)
            app_cpu_drain = _cpu(app_proc) - app_cpu1
            peak_backlog = max(sampler.peak_backlog, backlog_at_end)

        waiting_at_end, waiting_audio_s = backlog_audio_at(pg, ended_at)
        rtf = one_core_rtf(pg)
        drain_s = max(0.0, (last_transcript - ended_at).total_seconds()) if last_transcript else None
        drain_limit_s = waiting_audio_s * rtf / (os.cpu_count() or 1) if rtf else None
        cases = call_cases(pg)
        per_caller = Counter(phone for phone, *_ in cases)
        placed = set(numbers[:created])
        missing = placed - set(per_caller)
        twice = {p for p, n in per_caller.items() if n > 1}
        unexpected = set(per_caller) - placed
        last_case = max((opened for _, _, opened, _, _ in cases), default=None)
        latencies = key_to_case_s(pg)
        routed = key_to_routed_s(pg)
        states = Counter(state or "none" for *_, state in cases)
        log_text = serve_log_path.read_text(errors="replace")
        failed = int(stats["FailedCall(C)"])
        failure_kinds = {
            k: int(v) for k, v in stats.items() if k.startswith("Failed") and k.endswith("(C)") and v != "0"
        }
        rtds: dict[str, list[float]] = {"1": [], "2": []}
        for f in run_dir.glob("*_rtt.csv"):
            for r in csv.reader(f.open(), delimiter=";"):
                if len(r) >= 3 and r[0][:1].isdigit() and r[2].strip() in rtds:
                    rtds[r[2].strip()].append(float(r[1]))
        setup, readback = rtds["1"], [ms / 1000 for ms in rtds["2"]]
        result: dict[str, Any] = {
            "concurrency_limit": args.concurrency,
            "ari_over": "http" if args.http else "socket",
            "minutes": args.minutes,
            "rate_cps": rate,
            "call_plan_s": {
                "answer_to_key1": plan.key_s,
                "answer_to_message": plan.first_s,
                "message": plan.speech_s,
                "readback_estimate": plan.readback_s,
                "call_estimate": round(plan.call_s, 1),
            },
            "leftover_recordings_removed_before": leftovers,
            "calls_placed": created,
            "successful": int(stats["SuccessfulCall(C)"]),
            "failed": failed,
            "failure_kinds": failure_kinds,
            "peak_calls_sipp": max(int(r["CurrentCall"]) for r in rows),
            "peak_calls_in_app": sampler.peak_calls,
            "held_at_limit_s": _held_s(rows, args.concurrency),
            "sipp_run_s": round(calls_s, 1),
            "call_length_avg_s": _call_length(stats),
            "cases_of_calls": len(cases),
            "callers_with_one_case": sum(1 for p in placed if per_caller.get(p) == 1),
            "callers_without_case": len(missing),
            "callers_with_two_or_more_cases": len(twice),
            "cases_of_unknown_callers": len(unexpected),
            "cases_without_one_recording": sum(1 for *_, recs, _ in cases if recs != 1),
            "last_case_after_last_call_s": round((last_case - ended_at).total_seconds(), 2) if last_case else None,
            "key_to_case_s_p50": round(statistics.median(latencies), 3) if latencies else None,
            "key_to_case_s_p95": round(percentile(latencies, 95), 3) if latencies else None,
            "key_to_case_s_max": round(max(latencies), 3) if latencies else None,
            "key_to_routed_s_count": len(routed),
            "key_to_routed_s_p50": round(statistics.median(routed), 2) if routed else None,
            "key_to_routed_s_p95": round(percentile(routed, 95), 2) if routed else None,
            "key_to_routed_s_max": round(max(routed), 2) if routed else None,
            "key_to_routed_s_p50_p95_by_source": {
                source: [round(statistics.median(v), 2), round(percentile(v, 95), 2)]
                for source, v in key_to_routed_by_source(pg).items()
            },
            "setup_ms_p50": round(statistics.median(setup), 1) if setup else None,
            "setup_ms_p95": round(percentile(setup, 95), 1) if setup else None,
            "setup_ms_max": round(max(setup), 1) if setup else None,
            "key_to_hangup_s_p50": round(statistics.median(readback), 1) if readback else None,
            "key_to_hangup_s_max": round(max(readback), 1) if readback else None,
            "sipp_retransmissions": int(stats["Retransmissions(C)"]),
            "sipp_out_of_call_msgs": int(stats["OutOfCallMsgs(C)"]),
            "sipp_dead_call_msgs": int(stats["DeadCallMsgs(C)"]),
            "sipp_warnings": int(stats["Warnings(C)"]),
            "transcript_states": dict(states),
            "transcript_sources": transcript_sources(pg),
            "backlog_peak": peak_backlog,
            "backlog_at_last_call": backlog_at_end,
            "backlog_left": left,  # waiting for a recording that never came, or not drained in time
            # the last transcript stored, after the last call ended (negative: before it)
            "last_transcript_after_last_call_s": round((last_transcript - ended_at).total_seconds(), 1)
            if last_transcript
            else None,
            # the drain after the last call against the physical limit: the audio left, decoded by
            # every core at one warm recognizer's real-time factor (issue 18: within 1.2 times)
            "messages_untranscribed_at_last_call": waiting_at_end,
            "audio_untranscribed_at_last_call_s": round(waiting_audio_s, 1),
            "one_core_rtf": round(rtf, 4) if rtf else None,
            "drain_s": round(drain_s, 1) if drain_s is not None else None,
            "drain_physical_limit_s": round(drain_limit_s, 1) if drain_limit_s is not None else None,
            "drain_x_limit": round(drain_s / drain_limit_s, 2) if drain_s and drain_limit_s else None,
            "app_cpu_s_calls": round(app_cpu_calls, 1),
            "app_cpu_ms_per_call": round(app_cpu_calls / max(1, created) * 1000, 1),
            "asterisk_cpu_s_calls": round(ast_cpu_calls, 1),
            "asterisk_cpu_ms_per_call": round(ast_cpu_calls / max(1, created) * 1000, 1),
            "app_cpu_cores_calls": round(app_cpu_calls / calls_s, 2),
            "asterisk_cpu_cores_calls": round(ast_cpu_calls / calls_s, 2),
            "machine_cores_busy_calls": machine_busy,
            "app_cpu_s_drain": round(app_cpu_drain, 1),
            "load1_peak": round(sampler.peak_load1, 2),
            "app_ari_sockets_peak": sampler.peak_ari_sockets,
            "app_ari_sockets_close_wait_peak": sampler.peak_ari_close_wait,
            "app_ari_connections_stuck_after_run": stuck,
            "app_log_ari_pool_timeouts": log_text.count("-> 0: PoolTimeout"),
            "app_log_errors": log_text.count(" ERROR "),
            "app_log_warnings": log_text.count(" WARNING "),
            "app_log_tracebacks": log_text.count("Traceback"),
            "sipp_rc": sipp.returncode,
            "machine": f"{platform.node()} nproc {os.cpu_count()}, {_cpu_model()}, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
            "date": datetime.now(UTC).date().isoformat(),
        }
        (out / "report_load.json").write_text(json.dumps(result, indent=2))
        (out / "report_load_timeline.json").write_text(json.dumps(sampler.timeline))
        shutil.copy(serve_log_path, out / "report_load_serve.log")
        for stale in out.glob("report_load_sipp_*errors.log"):
            stale.unlink()
        for name in run_dir.glob("*errors.log"):
            shutil.copy(name, out / f"report_load_sipp_{name.name}")
        shutil.copy(run_dir / "stat.csv", out / "report_load_sipp_stat.csv")
        print(json.dumps(result, indent=2))
        if sipp.returncode != 0:
            print(sipp.stdout[-2000:], sipp.stderr[-2000:], file=sys.stderr)
        passed = failed == 0 and created > 0 and result["callers_with_one_case"] == created and not unexpected
        return 0 if passed else 1
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()
        serve_log.close()
        asterisk.stop()
        if args.drop:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


def _wait_ready(status_url: str, app: subprocess.Popen[bytes]) -> None:
    """Until the Stasis application is connected and the speech model loaded (about 10 s)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"hotline serve exited with {app.returncode}; see its log")
        try:
            parts = httpx.get(status_url, timeout=2).json()["components"]
            if parts["stasis"]["ok"] and parts["speech"]["ok"]:
                return
        except (httpx.HTTPError, KeyError, ValueError, TypeError):
            pass
        time.sleep(0.5)
    raise SystemExit("the platform did not become ready in 180 s")


def _wait_warmed(log: Path) -> None:
    """Until the platform has warmed its recognizers (a minute or two of one core, in the
    background): the bench measures a platform that has been up a while, not one restarted into
    a peak, whose warming would share the decoding thread with the first callers."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "recognizers warmed" in text or "recognizers not warmed" in text:
            return
        time.sleep(1)
    raise SystemExit("the recognizers were not warmed within 10 minutes")


def _busy_cores(before: Any, after: Any, seconds: float) -> float:
    """Cores the whole machine kept busy (everything, other users' work included)."""
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    total = sum(after) - sum(before)
    return round((total - idle) / total * (os.cpu_count() or 1), 2) if total else 0.0


def _call_length(stats: dict[str, str]) -> float | None:
    value = stats.get("CallLength(C)")
    return round(_elapsed(value), 1) if value and value.count(":") >= 2 else None


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    raise SystemExit(main())
