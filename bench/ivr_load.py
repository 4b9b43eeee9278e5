"""SIPp load against the IVR: many callers in the menu at once.

Measures what issue 2 asks: concurrent calls held in the menu with zero failed calls, call
set-up time (INVITE to 200 OK, answered by the Python application over ARI) p50/p95/p99, and
the CPU the application spends per call (and Asterisk's, for comparison).

Runs its own Asterisk instance (`bench`: SIP 5260, ARI 8288, AMI 5238) and the platform as a
separate process (`hotline serve`), so a developer's `make up` and the tests are not disturbed.

    .venv/bin/python -m bench.ivr_load --calls 300 --concurrency 100 --rate 10
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from pydantic import SecretStr

from casebook.db.migrate import upgrade
from common.paths import prompts_dir
from common.settings import Settings
from hotline.services import asterisk_process, build_all_prompts, lines_book
from telephony.runtime.layout import resolve_layout
from telephony.runtime.process import AsteriskProcess
from telephony.runtime.rootfs import build_rootfs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def bench_settings(data: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=data,
        asterisk_instance="bench",
        sip_port=5260,
        ari_port=8288,
        ami_port=5238,
        api_port=8299,
        rtp_port_start=40000,
        rtp_port_end=44999,
        media_port_start=47000,  # the application's side of live call audio, apart from Asterisk's
        media_port_end=47999,
        ari_password=SecretStr(secrets.token_urlsafe(24)),
        ami_password=SecretStr(secrets.token_urlsafe(24)),
        log_level="INFO",
    )


def env_for(settings: Settings, *extra: str) -> dict[str, str]:
    """The environment of a `hotline serve` process with these settings: the bench's own fields,
    `extra` ones a benchmark changes (e.g. "asr_max_live_streams"), and the database when set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    names = [
        "environment",
        "data_dir",
        "asterisk_instance",
        "sip_port",
        "ari_port",
        "ami_port",
        "api_port",
        "log_level",
        "media_port_start",
        "media_port_end",
        *extra,
    ]
    if settings.database_url:
        names.append("database_url")
    for name in names:
        env[f"HOTLINE_{name.upper()}"] = str(getattr(settings, name))
    env["HOTLINE_ARI_PASSWORD"] = settings.secret("ari_password")
    env["HOTLINE_AMI_PASSWORD"] = settings.secret("ami_password")
    return env


def start_bench_asterisk(settings: Settings, *, local_dialplan: str = "") -> AsteriskProcess:
    """The bench instance of Asterisk, restarted with these settings, its database migrated;
    `local_dialplan`: the site's own contexts (extensions_local.conf), e.g. a peer menu."""
    layout = resolve_layout(settings.asterisk)
    if layout.chrooted:
        build_rootfs(layout.root)
    build_all_prompts(settings)
    upgrade(settings.sqlalchemy_url)
    asterisk = asterisk_process(settings)
    asterisk.stop()
    local = layout.host_path(layout.dir("etc")) / "extensions_local.conf"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(local_dialplan)
    asterisk.start(lines_book(settings), prompts_dir(settings))
    return asterisk


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="new calls per second")
    parser.add_argument("--number", default="12345")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(data)
    asterisk = start_bench_asterisk(settings)
    serve_log = (data / "serve.log").open("wb")
    app = subprocess.Popen(
        [sys.executable, "-m", "hotline", "serve"],
        cwd=ROOT,
        env=env_for(settings),
        stdout=subprocess.DEVNULL,
        stderr=serve_log,
    )
    status_url = f"http://127.0.0.1:{settings.api_port}/status"
    try:
        for _ in range(100):
            try:
                if httpx.get(status_url, timeout=1).json()["components"]["stasis"]["ok"]:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.2)
        app_proc = psutil.Process(app.pid)
        ast_proc = psutil.Process(asterisk.pid())
        app_cpu0, ast_cpu0 = _cpu(app_proc), _cpu(ast_proc)

        peak = {"calls": 0}
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                try:
                    calls = httpx.get(status_url, timeout=1).json()["components"]["stasis"]["detail"]["calls"]
                    peak["calls"] = max(peak["calls"], int(calls))
                except (httpx.HTTPError, KeyError, ValueError):
                    pass
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        run_dir = Path(tempfile.mkdtemp(prefix="sipp-", dir=data))
        shutil.copy(HERE / "sipp" / "menu_uac.xml", run_dir)
        started = time.monotonic()
        sipp = subprocess.run(
            [
                "sipp",
                "-sf",
                "menu_uac.xml",
                "-s",
                args.number,
                f"127.0.0.1:{settings.sip_port}",
                "-i",
                "127.0.0.1",
                "-p",
                "5290",
                "-mp",
                "46000",
                "-l",
                str(args.concurrency),
                "-m",
                str(args.calls),
                "-r",
                str(args.rate),
                "-nostdin",
                "-trace_stat",
                "-stf",
                "stat.csv",
                "-trace_rtt",
                "-rtt_freq",
                "1",
                "-trace_err",
                "-timeout",
                "600",
                "-timeout_error",
            ],
            cwd=run_dir,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        time.sleep(2)
        stop.set()
        app_cpu = _cpu(app_proc) - app_cpu0
        ast_cpu = _cpu(ast_proc) - ast_cpu0
        stats = list(csv.DictReader((run_dir / "stat.csv").open(), delimiter=";"))[-1]
        rtts = [
            float(row[1])
            for f in run_dir.glob("*_rtt.csv")
            for row in csv.reader(f.open(), delimiter=";")
            if row and row[0][:1].isdigit()
        ]
        ok, failed = int(stats["SuccessfulCall(C)"]), int(stats["FailedCall(C)"])
        log_text = (data / "serve.log").read_text(errors="replace")
        reached_menu = log_text.count(" ivr.menu ")
        errors = log_text.count(" ERROR ")
        result = {
            "calls": args.calls,
            "concurrency_limit": args.concurrency,
            "rate_cps": args.rate,
            "successful": ok,
            "failed": failed,
            "peak_calls_in_app": peak["calls"],
            "calls_reaching_menu": reached_menu,
            "app_errors_logged": errors,
            "setup_ms_p50": round(statistics.median(rtts), 1) if rtts else None,
            "setup_ms_p95": round(percentile(rtts, 95), 1),
            "setup_ms_p99": round(percentile(rtts, 99), 1),
            "setup_ms_max": round(max(rtts), 1) if rtts else None,
            "app_cpu_s": round(app_cpu, 2),
            "app_cpu_ms_per_call": round(app_cpu / max(1, ok) * 1000, 1),
            "asterisk_cpu_s": round(ast_cpu, 2),
            "asterisk_cpu_ms_per_call": round(ast_cpu / max(1, ok) * 1000, 1),
            "elapsed_s": round(elapsed, 1),
            "sipp_rc": sipp.returncode,
            "machine": f"{platform.node()} {os.cpu_count()} cores, {psutil.virtual_memory().total // 2**30} GiB",
        }
        (out / "ivr_load.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        if sipp.returncode not in (0,):
            print(sipp.stdout[-2000:], sipp.stderr[-2000:], file=sys.stderr)
        return 0 if failed == 0 else 1
    finally:
        app.terminate()
        app.wait(10)
        serve_log.close()
        asterisk.stop()


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


if __name__ == "__main__":
    raise SystemExit(main())
