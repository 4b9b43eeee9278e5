"""A backlog of recorded messages: threads or processes, and how many (issue 18, point 2).

    .venv/bin/python -m bench.transcription_pool [--messages 8] [--seconds 30] [--runs 3]

`--messages` recordings of `--seconds` of Korean speech (espeak-ng, 8 kHz, as Asterisk records),
transcribed as the platform does (`SpeechEngine.transcribe_wav`), in one process with 1, 2 and 4
threads sharing the model and its warm recognizers, and in 2 processes each with its own model
(as two Celery workers would; model loading excluded, measured apart). Reported: wall time to
drain the backlog (median and spread of `--runs`), audio seconds per wall second, and the ratio
to the physical limit (total audio x the one-thread real-time factor / cores).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from bench.speech import speech_pcm, wav_bytes


def _engine() -> SpeechEngine:
    return SpeechEngine(load_model(resolve_model_path(None)), keep_idle=8)


def threads(engine: SpeechEngine, messages: list[bytes], count: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(engine.transcribe_wav, messages))
    return time.perf_counter() - started


def _process(path: str, ready: multiprocessing.synchronize.Barrier, done: multiprocessing.Queue[float]) -> None:
    engine = _engine()
    messages = [m for m in json.loads(Path(path).read_text())]
    ready.wait()
    started = time.perf_counter()
    for name in messages:
        engine.transcribe_wav(Path(name).read_bytes())
    done.put(time.perf_counter() - started)


def processes(files: list[Path], count: int, folder: Path) -> float:
    """`count` processes, each its share of the backlog (a Celery worker takes one task at a time:
    with equal messages, an even share is what they end with)."""
    context = multiprocessing.get_context("spawn")
    ready, done = context.Barrier(count + 1), context.Queue()
    workers = []
    for n in range(count):
        share = folder / f"share-{n}.json"
        share.write_text(json.dumps([str(f) for f in files[n::count]]))
        worker = context.Process(target=_process, args=(str(share), ready, done))
        worker.start()
        workers.append(worker)
    ready.wait()  # every process has loaded its model
    started = time.perf_counter()
    for _ in workers:
        done.get()
    wall = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hotline-backlog-"))
    audio = wav_bytes(speech_pcm(args.seconds, 8000), 8000)
    files = []
    for n in range(args.messages):
        path = folder / f"m{n}.wav"
        path.write_bytes(audio)
        files.append(path)
    messages = [f.read_bytes() for f in files]
    total = args.messages * args.seconds
    engine = _engine()
    engine.transcribe_wav(audio)  # warm one recognizer, as a running platform has
    results: dict[str, list[float]] = {}
    for run in range(args.runs):
        for count in (1, 2, 4):
            results.setdefault(f"threads {count}", []).append(threads(engine, messages, count))
        results.setdefault("processes 2", []).append(processes(files, 2, folder))
        print(f"run {run + 1}: { ({k: round(v[-1], 1) for k, v in results.items()}) }")
    cores = os.cpu_count() or 1
    one = statistics.median(results["threads 1"])
    limit = total * (one / total) / cores
    print(f"{args.messages} messages of {args.seconds:.0f} s = {total:.0f} s of audio; {cores} cores")
    print(f"physical limit (audio x one-thread RTF {one / total:.3f} / cores): {limit:.1f} s")
    print("| pool | drain time, median (spread) | audio s per wall s | x physical limit |")
    print("| --- | --- | --- | --- |")
    for name, walls in results.items():
        median = statistics.median(walls)
        print(
            f"| {name} | {median:.1f} s ({min(walls):.1f}-{max(walls):.1f}) | {total / median:.1f} | "
            f"{median / limit:.2f} |"
        )


if __name__ == "__main__":
    main()
