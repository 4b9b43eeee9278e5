"""How much of a recorded message is voice: a caller who says nothing leaves no case.

Frames of 20 ms louder than -45 dBFS (RMS) count as voiced. Digital silence (a phone that
sends comfort noise or nothing) and line hiss stay well below; speech is far above.
"""

from __future__ import annotations

import io
import sys
import wave
from array import array

VOICED_DBFS = -45.0


def voiced_seconds(audio: bytes) -> float | None:
    """Seconds of voice in a 16-bit PCM WAV, or None when the bytes are not such a WAV."""
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                return None
            rate = wav.getframerate()
            samples = array("h", wav.readframes(wav.getnframes()))
    except (wave.Error, EOFError):
        return None
    if sys.byteorder == "big":
        samples.byteswap()
    step = max(1, rate // 50)
    threshold = (10 ** (VOICED_DBFS / 20) * 32768) ** 2
    voiced = 0
    for start in range(0, len(samples) - step + 1, step):
        frame = samples[start : start + step]
        if sum(x * x for x in frame) / step > threshold:
            voiced += 1
    return voiced * step / rate if rate else None
