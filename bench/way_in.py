"""The way in, as a caller hears it: answer to the first choice, and key 1 to the tone.

Real calls (`hotline call`, pjsua2) to a bench Asterisk and `hotline serve` with the production
lines and prompts (speech recognition on, as `make up` runs it), each recording what the caller
hears. Measured from that recording, on the caller's side:
- answer -> menu: where the menu prompt starts in what the caller heard (its loudness envelope
  matched against the prompt file), and answer -> first choice: that plus the time the menu takes
  to say its first choice ("report a problem, press 1"), measured on that clause synthesised alone;
- key 1 -> tone: from the caller's key (sent 1 s after the answer, during the greeting, as a
  regular caller does) to the first 100 ms of a pure tone in what they heard (the "speak now" cue,
  or Asterisk's own beep in earlier versions).

    .venv/bin/python -m bench.way_in --calls 10
"""

from __future__ import annotations

import argparse
import asyncio
import platform as host
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import yaml

from bench.ivr_load import bench_settings, env_for, percentile, start_bench_asterisk
from common.paths import prompts_dir
from common.settings import Settings
from ivr.prompts import PromptText, build_prompts
from tests.e2e.helpers import envelope, place_call, read_wav

ROOT = Path(__file__).resolve().parents[1]
KEY_AT_S = 1.0


def first_tone(samples: np.ndarray, rate: int, after_s: float) -> float | None:
    """Seconds to the first 100 ms of a beep: one frequency between 400 and 2000 Hz holding almost
    all the energy, frame after frame (a vowel of synthetic speech is never that pure for long)."""
    step = int(rate * 0.02)
    run, last_bin = 0, -10
    for index in range(int(after_s * rate) // step, len(samples) // step):
        frame = samples[index * step : (index + 1) * step]
        power = np.abs(np.fft.rfft(frame * np.hanning(len(frame)))) ** 2
        total = float(power.sum())
        peak = int(np.argmax(power))
        hertz = peak * rate / len(frame)
        loud = float(np.mean(frame**2)) > 1e-4  # above -40 dBFS
        pure = total > 0 and float(np.sort(power)[-3:].sum()) / total > 0.8 and 400 <= hertz <= 2000
        run = run + 1 if loud and pure and abs(peak - last_bin) <= 1 else (1 if loud and pure else 0)
        last_bin = peak
        if run == 5:
            return (index - 4) * step / rate
    return None


def where_it_starts(heard: np.ndarray, rate: int, prompt: Path) -> float:
    """Seconds into what was heard where the prompt's loudness envelope matches best."""
    p_samples, p_rate = read_wav(prompt)
    h, p = envelope(heard, rate), envelope(p_samples, p_rate)
    p = (p - p.mean()) / (p.std() + 1e-9)
    best, at = -2.0, 0
    for offset in range(0, max(1, len(h) - len(p) + 1)):
        window = h[offset : offset + len(p)]
        if len(window) < len(p):
            break
        score = float(np.dot((window - window.mean()) / (window.std() + 1e-9), p) / len(p))
        if score > best:
            best, at = score, offset
    return at * 0.02


def first_choice_s(settings: Settings, work: Path) -> float:
    """How long the menu takes to say its first choice: its first clause, synthesised alone."""
    catalogue = yaml.safe_load((ROOT / "ivr" / "prompts.yaml").read_text(encoding="utf-8"))["prompts"]
    clause = re.split("[，,。.]", catalogue["menu"]["zh"])[0]
    build_prompts([PromptText("first-choice", "zh", clause)], work / "clause", work / "cache")
    samples, rate = read_wav(work / "clause" / "zh" / "first-choice.wav")
    return len(samples) / rate


async def one_call(settings: Settings, work: Path, index: int, *, report: bool) -> dict[str, float]:
    heard = work / f"heard-{'report' if report else 'listen'}-{index}.wav"
    script = f"wait {KEY_AT_S}; keys 1; wait 14; hangup" if report else "wait 30; hangup"
    result = await place_call(settings, "12345", script, caller=f"1390000{index:04d}", record=heard)
    samples, rate = read_wav(heard)
    if report:
        tone = first_tone(samples, rate, KEY_AT_S)
        return {"key_to_tone_s": (tone - KEY_AT_S) if tone is not None else float("nan")}
    menu = where_it_starts(samples, rate, prompts_dir(settings) / "zh" / "menu.wav")
    return {"answer_to_menu_s": menu, "setup_ms": float(result["setup_ms"])}


def summary(values: list[float]) -> str:
    clean = [v for v in values if v == v]
    if not clean:
        return "n/a"
    return (
        f"median {statistics.median(clean):.2f} s, p10 {percentile(clean, 10):.2f}, "
        f"p90 {percentile(clean, 90):.2f}, min {min(clean):.2f}, max {max(clean):.2f} (n={len(clean)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10, help="calls of each kind")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hotline-way-in-"))
    settings = bench_settings(work / "data")
    settings = settings.model_copy(update={"lines_file": None})  # the production lines and greetings
    asterisk = start_bench_asterisk(settings)
    app = subprocess.Popen(
        [sys.executable, "-m", "hotline", "serve"],
        cwd=ROOT,
        env=env_for(settings),
        stdout=subprocess.DEVNULL,
        stderr=(work / "serve.log").open("wb"),
    )
    try:
        for _ in range(150):
            try:
                status = httpx.get(f"http://127.0.0.1:{settings.api_port}/status", timeout=1).json()
                if status["components"]["stasis"]["ok"]:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.2)
        listens = [asyncio.run(one_call(settings, work, i, report=False)) for i in range(args.calls)]
        reports = [asyncio.run(one_call(settings, work, i, report=True)) for i in range(args.calls)]
    finally:
        app.terminate()
        app.wait(15)
        asterisk.stop()
    clause = first_choice_s(settings, work)
    menu = [r["answer_to_menu_s"] for r in listens]
    print(f"machine: {host.node()} {host.machine()}, Python {host.python_version()}")
    print(f"answer -> menu starts:      {summary(menu)}")
    print(f"answer -> first choice:     {summary([m + clause for m in menu])} (first clause {clause:.2f} s)")
    print(f"key 1 -> tone:              {summary([r['key_to_tone_s'] for r in reports])}")
    for name in ("greeting-mayor", "menu", "record-intro"):
        samples, rate = read_wav(prompts_dir(settings) / "zh" / f"{name}.wav")
        print(f"prompt {name}: {len(samples) / rate:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
