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


def test_a_prompt_rebuilt_while_it_plays_is_replaced_whole_never_rewritten_in_place(tmp_path: Path) -> None:
    # Asterisk (or a test) reading the greeting while an administrator's edit rebuilds it must read
    # the old file or the new one whole: the file is put in place by a rename, not truncated
    out, cache = tmp_path / "out", tmp_path / "cache"
    build_prompts([PromptText("greeting", "zh", "您好")], out, cache)
    target = out / "zh" / "greeting.wav"
    with target.open("rb") as playing:
        before = target.stat().st_ino
        build_prompts([PromptText("greeting", "zh", "您好，这里是一二三四五热线")], out, cache)
        old = playing.read()
    after = target.stat().st_ino
    assert after != before and old[:4] == b"RIFF" and len(old) < target.stat().st_size
    build_prompts([PromptText("greeting", "zh", "您好，这里是一二三四五热线")], out, cache)
    assert target.stat().st_ino == after  # unchanged since: left alone
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary file left behind


def test_the_center_edits_the_words_in_its_own_file(tmp_path: Path) -> None:
    site = tmp_path / "prompts.yaml"
    site.write_text("prompts:\n  record-intro: {zh: 请讲。}\n", encoding="utf-8")
    texts = {(e.name, e.language): e.text for e in load_catalogue(load_lines(), site)}
    assert texts[("record-intro", "zh")] == "请讲。"
    assert texts[("record-intro", "en")] == "Please say the problem and where it is."  # the packaged one stays
    assert ("tone", "zh") in texts  # the "speak now" tone is made, not spoken


def test_a_mistaken_prompts_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    import pytest

    from ivr.prompts import PromptBuildError

    site = tmp_path / "prompts.yaml"
    for content, says in (
        ("prompts:\n  no-such-prompt: {zh: 你好}\n", "no prompt named"),
        ("prompts:\n  menu: {fr: bonjour}\n", "a text per language .* found: fr"),
        ("prompts:\n  menu: {zh: ''}\n", "empty text"),
        ("just words", "expected 'prompts:'"),
    ):
        site.write_text(content, encoding="utf-8")
        with pytest.raises(PromptBuildError, match=says):
            load_catalogue(load_lines(), site)


def test_the_tone_is_a_short_sine(tmp_path: Path) -> None:
    entries = [PromptText("tone", "zh", "", tone=(1000, 0.25))]
    build_prompts(entries, tmp_path / "out", tmp_path / "cache")
    with wave.open(str(tmp_path / "out" / "zh" / "tone.wav")) as wav:
        assert wav.getframerate() == 8000 and abs(wav.getnframes() / 8000 - 0.25) < 0.01


def test_prompts_build_gives_asterisk_the_new_words_and_a_slip_gets_a_reason(tmp_path: Path) -> None:
    """`hotline prompts build`, as the README tells the center to run it after editing its file."""
    import os
    import secrets
    import shutil
    import subprocess
    import sys

    from common.settings import Settings
    from telephony.runtime.layout import resolve_layout

    site = tmp_path / "prompts.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {
        "HOTLINE_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE_PROMPTS_FILE": str(site),
        "HOTLINE_ASTERISK_INSTANCE": f"prompts-{secrets.token_hex(3)}",
    }
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", asterisk_instance=env["HOTLINE_ASTERISK_INSTANCE"])  # type: ignore[call-arg]
    sounds = resolve_layout(settings.asterisk).host_path(resolve_layout(settings.asterisk).dir("sounds"))
    command = [sys.executable, "-m", "hotline", "prompts", "build"]
    try:
        site.write_text("prompts:\n  record-intro: {zh: 请讲。, en: Speak, now.}\n", encoding="utf-8")
        slip = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert slip.returncode == 1 and "Traceback" not in slip.stderr
        assert "'record-intro' needs a text per language" in slip.stderr and "must be in quotes" in slip.stderr

        site.write_text("prompts:\n  record-intro:\n    zh: 请讲。\n", encoding="utf-8")
        built = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert built.returncode == 0, built.stderr
        assert "installed for Asterisk" in built.stdout
        played = sounds / "zh" / "record-intro.wav"
        assert played.read_bytes() == (tmp_path / "data" / "prompts" / "zh" / "record-intro.wav").read_bytes()
    finally:
        shutil.rmtree(sounds.parent, ignore_errors=True)
