"""Real speech for the tests: Korean sentences spoken by espeak-ng (the packaged model is Korean).

Made at test time from text, so no audio data set is kept or downloaded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# a citizen's report, in Korean: "there are dead pigs in the river by the school; it smells; please deal with it"
REPORT_KO = "안녕하세요. 학교 옆 하천에 죽은 돼지가 많이 떠 있습니다. 냄새가 심합니다. 빨리 처리해 주세요."
# digits the packaged model hears reliably from espeak-ng's Korean voice (5, 2, 3; a leading 이
# is heard twice, and 육, 칠, 구 not at all: espeak-ng's Korean is far from a person's)
DIGITS_KO = "오, 이, 삼"
DIGITS_KO_VALUE = "523"
# menu choices said as words, at the espeak-ng speed at which the menu's keyword spotter hears them
# (민원 "civil complaint": report; 안내 "information": check a case; 상담원 "agent": a person)
MENU_WORDS_KO = {"1": ("민원", 140), "2": ("안내", 140), "0": ("상담원", 150)}


def speak(text: str, path: Path, *, rate: int = 8000, voice: str = "ko", speed: int = 150) -> Path:
    """Write `text` spoken by espeak-ng as a mono 16-bit WAV at `rate`."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path)], check=True, capture_output=True
    )
    raw.unlink()
    return path


def with_silence(path: Path, *, before_s: float = 0.0, after_s: float = 0.0) -> Path:
    """The same speech with silence around it (pads a message to a given length)."""
    out = path.with_name(path.stem + "-padded.wav")
    subprocess.run(["sox", str(path), str(out), "pad", str(before_s), str(after_s)], check=True, capture_output=True)
    return out


def _synth(path: Path, seconds: float, sound: list[str], volume: str, rate: int) -> Path:
    """`sox -n` synthesising `sound` (whitenoise, sine 700...) at `volume` into a mono 16-bit WAV;
    the same every time (`-R`, sox's repeatable mode)."""
    head = ["sox", "-R", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(path)]
    subprocess.run([*head, "synth", str(seconds), *sound, "vol", volume], check=True, capture_output=True)
    return path


def quiet_line(path: Path, seconds: float, *, rate: int = 8000) -> Path:
    """A phone line nobody speaks on: white noise at -60 dBFS (a real line is never digital zero).
    The same noise every time (`-R`, sox's repeatable mode, also in `speak` where sox dithers): a
    test's audio does not change from one run to the next."""
    return _synth(path, seconds, ["whitenoise"], "0.001", rate)


def tone(path: Path, hertz: int, seconds: float = 3.0, *, rate: int = 8000) -> Path:
    """A pure tone at half the full scale: a sound that can be told apart from any other in what a
    phone heard (tests/e2e/test_supervision.py)."""
    return _synth(path, seconds, ["sine", str(hertz)], "0.5", rate)


def joined(out: Path, *parts: Path) -> Path:
    """The parts one after the other, as one WAV (same rate and format)."""
    subprocess.run(["sox", *map(str, parts), str(out)], check=True, capture_output=True)
    return out
