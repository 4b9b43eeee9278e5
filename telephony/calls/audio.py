"""How much of a recorded message is voice: a caller who says nothing leaves no case.

Frames of 20 ms louder than -45 dBFS (RMS) count as voiced. Digital silence (a phone that
sends comfort noise or nothing) and line hiss stay well below; speech is far above.
"""

from __future__ import annotations

import io
import sys
import wave
from array import array
from operator import mul

VOICED_DBFS = -45.0


def _pcm(audio: bytes) -> tuple[int, bytes, array[int]] | None:
    """(rate, raw frames, samples) of a 16-bit mono PCM WAV, or None when it is not one."""
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                return None
            rate = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        return None
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    return rate, frames, samples


def _voiced_starts(samples: array[int], step: int) -> list[int]:
    """Where each voiced 20 ms frame starts (in samples)."""
    threshold = (10 ** (VOICED_DBFS / 20) * 32768) ** 2 * step
    return [
        start
        for start in range(0, len(samples) - step + 1, step)
        if sum(map(mul, samples[start : start + step], samples[start : start + step])) > threshold
    ]


def voiced_seconds(audio: bytes) -> float | None:
    """Seconds of voice in a 16-bit PCM WAV, or None when the bytes are not such a WAV."""
    pcm = _pcm(audio)
    if pcm is None or not pcm[0]:
        return None
    rate, _frames, samples = pcm
    step = max(1, rate // 50)
    return len(_voiced_starts(samples, step)) * step / rate


def repaired_wav(audio: bytes) -> bytes:
    """A WAV whose sizes Asterisk never wrote (it was killed while recording: the header still says
    0 bytes) made readable again from the bytes that are there. Anything else is returned as is."""
    if len(audio) < 44 or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        return audio
    position = 12
    while position + 8 <= len(audio):
        chunk, size = audio[position : position + 4], int.from_bytes(audio[position + 4 : position + 8], "little")
        if chunk == b"data":
            have = len(audio) - position - 8
            if size == 0 or size > have:
                have -= have % 2  # whole 16-bit samples only
                fixed = bytearray(audio[: position + 8 + have])
                fixed[position + 4 : position + 8] = have.to_bytes(4, "little")
                fixed[4:8] = (len(fixed) - 8).to_bytes(4, "little")
                return bytes(fixed)
            return audio
        position += 8 + size + (size % 2)
    return audio


def trimmed(audio: bytes, *, margin_s: float = 1.0, least_cut_s: float = 2.0) -> tuple[bytes, float | None]:
    """The message without the long silence before the caller's first word and after their last
    (a message is recorded from the answer, through the greeting and the menu), and its seconds of
    voice. `margin_s` of the silence is kept each side, and nothing is cut unless it saves
    `least_cut_s`. Audio that is not 16-bit mono PCM, or holds no voice, is returned as it is."""
    pcm = _pcm(audio)
    if pcm is None or not pcm[0]:
        return audio, None
    rate, frames, samples = pcm
    step = max(1, rate // 50)
    voiced = _voiced_starts(samples, step)
    seconds = len(voiced) * step / rate
    if not voiced:
        return audio, seconds
    margin = int(margin_s * rate)
    first = max(0, voiced[0] - margin)
    last = min(len(samples), voiced[-1] + step + margin)
    if first + (len(samples) - last) < least_cut_s * rate:
        return audio, seconds
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames[first * 2 : last * 2])
    return out.getvalue(), seconds
