"""Speech recognition on this machine: model load, real-time factor, live streams, memory.

    .venv/bin/python -m bench.speech [--seconds 30] [--streams 1,2,4,6,8] [--model /srv/models/vosk-model-small-cn-0.22]

- model load: a fresh process loads the model (`SpeechEngine` as the platform does), wall time;
- real-time factor (RTF): decoding time / audio time for a recorded message of `--seconds`,
  at 8 kHz (a phone recording) and 16 kHz (the live tap's slin16), one stream alone;
- live streams: N streams fed at real-time pace (20 ms frames, as RTP brings them), each in
  the platform's way (a worker thread per 100 ms batch); a stream keeps up (real time) when its
  final result arrives within 1 s of the end of its audio; the worst transient backlog (a batch
  decoded late, caught up later) is reported beside it;
- memory: resident memory added per open stream (recognizer state after 30 s of audio).

The audio is Korean speech made with espeak-ng (the packaged model is Korean), repeated to length.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import psutil

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from tests.speech import REPORT_KO, speak

FRAME_S = 0.02
BATCH_S = 0.1


REPORT_ZH = "新津县五津镇河边有几十头死猪，学校游泳池旁边很臭，请尽快处理。"


def speech_pcm(seconds: float, rate: int, language: str = "ko") -> bytes:
    """`seconds` of a citizen's report said by espeak-ng, in Chinese for a Chinese model."""
    with tempfile.TemporaryDirectory() as tmp:
        if language == "zh":
            one = speak(REPORT_ZH, Path(tmp) / "one.wav", rate=rate, voice="cmn", speed=170)
        else:
            one = speak(REPORT_KO, Path(tmp) / "one.wav", rate=rate)
        with wave.open(str(one)) as w:
            pcm = w.readframes(w.getnframes())
    need = int(seconds * rate) * 2
    return (pcm * (need // len(pcm) + 1))[:need]


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buffer.getvalue()


def model_load_seconds(model: Path, runs: int = 3) -> list[float]:
    code = (
        "import sys, time; from pathlib import Path; t=time.perf_counter(); "
        "from asr.model import load_model; from asr.engine import SpeechEngine; "
        "SpeechEngine(load_model(Path(sys.argv[1]))); print(time.perf_counter()-t)"
    )
    root = Path(__file__).resolve().parents[1]
    argv = [sys.executable, "-c", code, str(model)]
    return [
        float(subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True).stdout) for _ in range(runs)
    ]


def rtf(engine: SpeechEngine, pcm: bytes, rate: int) -> float:
    started = time.perf_counter()
    engine.transcribe_wav(wav_bytes(pcm, rate))
    return (time.perf_counter() - started) / (len(pcm) / 2 / rate)


def live_streams(engine: SpeechEngine, pcm16: bytes, count: int) -> dict[str, float]:
    """`count` streams fed at real-time pace in parallel; how far behind each falls."""
    rate, frame = 16000, int(16000 * FRAME_S) * 2
    batch = int(BATCH_S / FRAME_S)
    audio_s = len(pcm16) / 2 / rate
    lags: list[float] = []
    backlogs: list[float] = []
    lock = threading.Lock()

    def one(offset_s: float) -> None:
        stream = engine.open_stream(rate)
        start = time.perf_counter() + offset_s
        time.sleep(max(0.0, start - time.perf_counter()))
        worst = 0.0
        frames = [pcm16[i : i + frame] for i in range(0, len(pcm16), frame)]
        for index in range(0, len(frames), batch):
            due = start + (index + batch) * FRAME_S  # when the last frame of this batch has arrived
            time.sleep(max(0.0, due - time.perf_counter()))
            stream.accept(b"".join(frames[index : index + batch]))
            worst = max(worst, time.perf_counter() - due)
        stream.finish()
        lag = time.perf_counter() - (start + audio_s)
        with lock:
            lags.append(lag)
            backlogs.append(worst)

    threads = [threading.Thread(target=one, args=(0.05 * i,)) for i in range(count)]
    cpu0 = psutil.Process().cpu_times()
    wall0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1 = psutil.Process().cpu_times()
    wall = time.perf_counter() - wall0
    return {
        "streams": count,
        "final_lag_p50_s": round(statistics.median(lags), 3),
        "final_lag_max_s": round(max(lags), 3),
        "worst_backlog_s": round(max(backlogs), 3),
        "cpu_cores_busy": round(((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / wall, 2),
        "real_time": max(lags) < 1.0,
    }


def memory_per_stream(engine: SpeechEngine, pcm16: bytes, count: int = 4) -> float:
    proc = psutil.Process()
    before = proc.memory_info().rss
    streams = [engine.open_stream(16000) for _ in range(count)]
    for stream in streams:
        for i in range(0, len(pcm16), 3200):
            stream.accept(pcm16[i : i + 3200])
    after = proc.memory_info().rss
    for stream in streams:
        stream.finish()
    return (after - before) / count / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--streams", default="1,2,4,6,8")
    parser.add_argument("--model", type=Path, default=None, help="a Vosk model folder (default: the packaged one)")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    loads = model_load_seconds(model)
    engine = SpeechEngine(load_model(model))
    language = engine.language
    pcm8, pcm16 = speech_pcm(args.seconds, 8000, language), speech_pcm(args.seconds, 16000, language)
    rss_model = psutil.Process().memory_info().rss / 2**20
    result = {
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.processor() or platform.machine()}",
        "model": engine.describe(),
        "model_load_s": [round(x, 2) for x in loads],
        "process_rss_with_model_mb": round(rss_model, 1),
        "rtf_8k": round(statistics.median(rtf(engine, pcm8, 8000) for _ in range(3)), 3),
        "rtf_16k": round(statistics.median(rtf(engine, pcm16, 16000) for _ in range(3)), 3),
        "memory_per_stream_mb": round(memory_per_stream(engine, pcm16), 1),
        "live": [live_streams(engine, pcm16, int(n)) for n in args.streams.split(",")],
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
