"""Which stretches of a caller's audio are worth decoding: a voice gate before the recognizer.

Decoding costs about a quarter of a core per live stream whatever it hears (bench/RESULTS.md,
issue 4), so a caller silent in the menu for 15 s cost 2.7 s of CPU, and only four callers at a
time could be listened to. WebRTC's voice activity detector (`webrtcvad-wheels`: C, no model
file, about 0.1 ms of CPU per second of audio; Silero VAD costs 500 times more, `bench/vad.py`,
decision 0029) judges each 20 ms frame; only voice, with a little audio before it (the start of
the first word) and after it, reaches the recognizer. When the voice has stopped for `hangover_s`
the gate says so (`Pause`): the recognizer ends its utterance then, without waiting for silence it
never hears.

Two things the detector is not asked about, because it misjudges them: digital silence (a jitter
buffer filling at the start of a call, a phone suppressing its silence) is never shown to it, or it
learns that "silence" has no noise at all and takes the line's own hiss for a voice when the hiss
comes (every silent caller of the menu bench was decoded for a second so, issue 18); and a frame
quieter than `FLOOR_DBFS` is never voice, whatever the detector says.

The gate works on one call's audio and says where each stretch begins on the call's own clock,
so the words keep their true times (`RecognitionStream.accept(pcm, at_s=...)`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

FRAME_S = 0.02
MODE = 3  # webrtcvad's aggressiveness: at 2 a quiet line after speech is taken for voice (bench/vad.py)
PREROLL_S = 0.3  # audio kept before the voice starts: the first syllable's onset
START_VOICED = 3  # of the last START_WINDOW frames this many voiced open the gate (60 ms of voice)
START_WINDOW = 5
WARMUP_FRAMES = 10  # the detector learns the line's noise over its first frames: they open nothing
DIGITAL_SILENCE_RMS = 2.0  # a frame this quiet is zeros (or u-law's quietest step): nothing was sent
FLOOR_DBFS = -55.0  # quieter than this is line noise: a quiet talker on a phone is about -40 dBFS
FLOOR_RMS = 32768 * 10 ** (FLOOR_DBFS / 20)
HANGOVER_S = 0.8  # this long without voice closes the gate (a pause between words is shorter)
RATES = (8000, 16000, 32000, 48000)  # what the detector accepts


@dataclass(frozen=True, slots=True)
class Voice:
    """Audio to decode, starting `at_s` seconds into the call's audio."""

    at_s: float
    pcm: bytes


@dataclass(frozen=True, slots=True)
class Pause:
    """The voice stopped (`at_s`: when the gate closed): the utterance is over."""

    at_s: float


Piece = Voice | Pause


class VoiceGate:
    """Fed 16-bit little-endian samples in any sizes; gives back the pieces worth decoding.

    Not thread-safe: one per call, fed in the order the audio came."""

    def __init__(self, rate: int, *, hangover_s: float = HANGOVER_S) -> None:
        if rate not in RATES:
            raise ValueError(f"the voice gate takes {RATES} Hz audio, not {rate} Hz")
        import webrtcvad  # a small C extension: imported when a call is first listened to

        self.rate = rate
        self._vad: Any = webrtcvad.Vad(MODE)
        self._frame_bytes = int(rate * FRAME_S) * 2
        self._hangover = round(hangover_s / FRAME_S)
        self._rest = b""
        self._frames = 0  # frames judged so far: the gate's clock
        self._heard = 0  # frames of the line's own sound shown to the detector (not digital silence)
        self._preroll: deque[bytes] = deque(maxlen=round(PREROLL_S / FRAME_S) + WARMUP_FRAMES)
        self._recent: deque[bool] = deque(maxlen=START_WINDOW)
        self._open = False
        self._unvoiced = 0  # frames without voice since the gate opened or last heard voice
        self.voiced_s = 0.0  # audio let through

    @property
    def position_s(self) -> float:
        """How much audio the gate has judged (the call's clock, in seconds)."""
        return self._frames * FRAME_S

    @property
    def is_open(self) -> bool:
        return self._open

    def push(self, pcm: bytes) -> list[Piece]:
        data = self._rest + pcm
        whole = len(data) - len(data) % self._frame_bytes
        self._rest = data[whole:]
        pieces: list[Piece] = []
        run: list[bytes] = []  # frames let through, joined into one Voice per stretch
        run_at = self.position_s  # where a stretch already open goes on
        loudness = _frame_rms(data[:whole], self._frame_bytes)
        for offset, rms in zip(range(0, whole, self._frame_bytes), loudness, strict=True):
            frame = data[offset : offset + self._frame_bytes]
            voiced = False
            if rms >= DIGITAL_SILENCE_RMS:
                self._heard += 1
                voiced = bool(self._vad.is_speech(frame, self.rate)) and rms >= FLOOR_RMS
            at = self.position_s
            self._frames += 1
            if not self._open:
                self._recent.append(voiced and self._heard > WARMUP_FRAMES)
                self._preroll.append(frame)
                if sum(self._recent) >= START_VOICED:
                    self._open, self._unvoiced = True, 0
                    run = self._lead_in()
                    run_at = at + FRAME_S - len(run) * FRAME_S
                    self._preroll.clear()
                continue
            run.append(frame)
            self._unvoiced = 0 if voiced else self._unvoiced + 1
            if self._unvoiced >= self._hangover:
                pieces.append(Voice(run_at, b"".join(run)))
                pieces.append(Pause(self.position_s))
                run, self._open = [], False
                self._recent.clear()
        if run:
            pieces.append(Voice(run_at, b"".join(run)))
        self.voiced_s += sum(len(p.pcm) for p in pieces if isinstance(p, Voice)) / 2 / self.rate
        return pieces

    def _lead_in(self) -> list[bytes]:
        """The audio kept before a stretch: `PREROLL_S`, and the warm-up's frames too when the first
        voice came straight after digital silence (a caller speaking at once: the detector, shown
        no silence, can open only after its warm-up, and the recognizer misheard a menu word given
        40 ms before it rather than the usual 300; tests/e2e/test_speech_for_everyone.py)."""
        keep = round(PREROLL_S / FRAME_S)
        if self._heard <= WARMUP_FRAMES + START_WINDOW:
            keep += WARMUP_FRAMES
        return list(self._preroll)[-keep:]


def _frame_rms(pcm: bytes, frame_bytes: int) -> list[float]:
    """The loudness (root mean square, in sample units) of each whole frame of `pcm`."""
    if not pcm:
        return []
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, frame_bytes // 2)
    return [float(v) for v in np.sqrt(np.mean(samples * samples, axis=1))]
