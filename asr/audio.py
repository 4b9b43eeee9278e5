"""Reading WAV files for the recognizer: 16-bit PCM, mono (the left channel of stereo)."""

from __future__ import annotations

import io
import struct
import sys
import wave
from array import array

from asr.errors import EmptyAudio, UnreadableAudio

MIN_RATE, MAX_RATE = 8000, 48000


def read_wav(audio: bytes) -> tuple[bytes, int]:
    """Little-endian 16-bit mono samples and their rate; a clear error for anything else."""
    if not audio:
        raise EmptyAudio("the recording is empty (0 bytes)")
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, ValueError, RuntimeError, struct.error) as exc:
        raise UnreadableAudio(f"not a readable WAV file: {exc}") from exc
    if width != 2:
        raise UnreadableAudio(f"16-bit PCM expected, the file has {8 * width}-bit samples")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise UnreadableAudio(f"sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")
    frames = frames[: len(frames) - len(frames) % (2 * channels)]
    if channels > 1:
        samples = array("h", frames)
        frames = samples[0::channels].tobytes()
    if not frames:
        raise EmptyAudio("the recording holds no samples")
    return frames, rate


def swap_bytes(pcm: bytes) -> bytes:
    """Big-endian 16-bit samples (RTP's slin) to the machine's order, as Vosk expects."""
    samples = array("h", pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "little":
        samples.byteswap()
    return samples.tobytes()


def resample(pcm: bytes, rate: int, to: int) -> bytes:
    """16-bit samples at `rate` as samples at `to` (linear interpolation: enough for warming a
    recognizer with a prompt, not for what a caller says)."""
    if rate == to:
        return pcm
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    times = np.arange(round(len(samples) * to / rate)) * rate / to
    return bytes(np.interp(times, np.arange(len(samples)), samples).astype("<i2").tobytes())
