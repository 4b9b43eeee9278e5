"""Prompts are synthesised offline (espeak-ng + sox), cached, and replaceable by real recordings."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

from ivr.lines import load_lines
from ivr.prompts import PromptText, build_prompts, load_catalogue, voice_for


def _rate(path: Path) -> int:
    with wave.open(str(path)) as wav:
        return wav.getframerate()


def test_the_catalogue_has_every_prompt_in_both_languages_and_a_greeting_per_line() -> None:
    lines = load_lines()
    entries = load_catalogue(lines)
    names = {(e.name, e.language) for e in entries}
    for name in ("menu", "record-intro", "case-opened", "status-not-found", "unknown-number", "digit-0", "digit-9"):
        assert (name, "zh") in names and (name, "en") in names
    for line in lines.lines:
        assert (f"greeting-{line.code}", "zh") in names


def test_the_voice_follows_the_script_of_the_text() -> None:
    assert voice_for("请按1") == "cmn"
    assert voice_for("For English, press 8.") == "en-us"


def test_synthesis_is_cached_and_real_recordings_replace_it(tmp_path: Path) -> None:
    entries = [PromptText("menu", "zh", "请按一"), PromptText("goodbye", "zh", "再见")]
    out, cache, override = tmp_path / "out", tmp_path / "cache", tmp_path / "override"
    assert build_prompts(entries, out, cache) == 2
    assert build_prompts(entries, out, cache) == 0  # cached
    assert _rate(out / "zh" / "menu.wav") == 8000

    studio = override / "zh" / "goodbye.wav"
    studio.parent.mkdir(parents=True)
    subprocess.run(
        ["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(studio), "synth", "1.0", "sine", "440"], check=True
    )
    build_prompts(entries, out, cache, override)
    with wave.open(str(out / "zh" / "goodbye.wav")) as wav:
        assert wav.getframerate() == 8000 and abs(wav.getnframes() / 8000 - 1.0) < 0.01
