"""The prompt catalogue and its offline synthesis.

Prompts are generated with espeak-ng (Mandarin `cmn`, English `en`) and converted by sox to
8 kHz 16-bit mono WAV, a format Asterisk plays without transcoding surprises. Synthesis is
cached by the text's hash, so rebuilding after editing one prompt costs one prompt. The center
edits the words in its own file (`HOTLINE_PROMPTS_FILE`, the shape of `ivr/prompts.yaml`: what it
names replaces the packaged text) and runs `hotline prompts build`; a real studio recording
dropped at `<override>/<lang>/<name>.wav` replaces the generated file. The tone that says "speak
now" is a sine made by sox, not words.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ivr.lines import LANGUAGES, LineBook

VOICES = {"zh": "cmn", "en": "en-us"}
SPEEDS = {"cmn": "230", "en-us": "170"}  # words per minute: Mandarin at a caller's pace, not espeak's slow default
SAMPLE_RATE = 8000
TONES = {"tone": (1000, 0.25)}  # name -> (Hz, seconds)
_BUILDER_VERSION = "5"


class PromptBuildError(RuntimeError):
    """A prompt could not be synthesised (espeak-ng or sox missing or failing)."""


@dataclass(frozen=True, slots=True)
class PromptText:
    name: str
    language: str
    text: str
    tone: tuple[int, float] | None = None  # a sine (Hz, seconds) instead of words


def load_catalogue(lines: LineBook, site_file: Path | None = None) -> list[PromptText]:
    """Every prompt the IVR and the dialplan may play, in every language; the center's own texts
    (`site_file`) replace the packaged ones they name."""
    raw = yaml.safe_load((resources.files("ivr") / "prompts.yaml").read_text(encoding="utf-8"))
    texts_by_name: dict[str, dict[str, str]] = {name: dict(texts) for name, texts in raw["prompts"].items()}
    for name, texts in _site_texts(site_file).items():
        if name not in texts_by_name:
            raise PromptBuildError(f"{site_file}: no prompt named {name!r} (see ivr/prompts.yaml for the names)")
        texts_by_name[name].update(texts)
    entries: list[PromptText] = []
    for name, texts in texts_by_name.items():
        for language in LANGUAGES:
            entries.append(PromptText(name, language, str(texts[language])))
    for name, tone in TONES.items():
        for language in LANGUAGES:
            entries.append(PromptText(name, language, "", tone=tone))
    for line in lines.lines:
        entries.append(PromptText(f"greeting-{line.code}", "zh", line.greeting.zh))
        entries.append(PromptText(f"greeting-{line.code}", "en", line.greeting.en))
    return entries


def _site_texts(site_file: Path | None) -> dict[str, dict[str, str]]:
    if site_file is None:
        return {}
    try:
        raw = yaml.safe_load(site_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PromptBuildError(f"cannot read the center's prompts {site_file}: {exc}") from exc
    prompts = raw.get("prompts") if isinstance(raw, dict) else None
    if not isinstance(prompts, dict):
        raise PromptBuildError(f"{site_file}: expected 'prompts:' with a name and its texts per language")
    site: dict[str, dict[str, str]] = {}
    for name, texts in prompts.items():
        if not isinstance(texts, dict) or not set(texts) <= set(LANGUAGES):
            found = ", ".join(map(str, texts)) if isinstance(texts, dict) else type(texts).__name__
            raise PromptBuildError(
                f"{site_file}: prompt {name!r} needs a text per language ({', '.join(LANGUAGES)}), found: {found}"
                " (a text with a comma or a colon must be in quotes)"
            )
        if any(not str(t).strip() for t in texts.values()):
            raise PromptBuildError(f"{site_file}: prompt {name!r} has an empty text")
        site[str(name)] = {str(k): str(v) for k, v in texts.items()}
    return site


def prompt_names(lines: LineBook) -> set[str]:
    return {p.name for p in load_catalogue(lines)}


def build_prompts(
    entries: Iterable[PromptText],
    out_dir: Path,
    cache_dir: Path,
    override_dir: Path | None = None,
) -> int:
    """Write `<out_dir>/<lang>/<name>.wav` for each entry; return how many were synthesised anew."""
    made = 0
    for entry in entries:
        target = out_dir / entry.language / f"{entry.name}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        override = override_dir / entry.language / f"{entry.name}.wav" if override_dir else None
        if override is not None and override.exists():
            _convert(override, target)
            continue
        key = hashlib.sha256(f"{_BUILDER_VERSION}|{entry.language}|{entry.text}|{entry.tone}".encode()).hexdigest()[:24]
        cached = cache_dir / f"{key}.wav"
        if not cached.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            fresh = _beside(cached)
            try:
                _synthesise(entry, fresh)
                fresh.replace(cached)
            finally:
                fresh.unlink(missing_ok=True)
            made += 1
        _put(cached, target)
    return made


def _beside(target: Path) -> Path:
    """A temporary name next to `target`, this process's own (two builders may run at once)."""
    return target.with_name(f".{target.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.wav")


def _put(source: Path, target: Path) -> None:
    """Copy into place whole: Asterisk playing the prompt (or a test reading it) while it is
    rebuilt sees the old file or the new one, never half of one; an unchanged file is left alone."""
    data = source.read_bytes()
    if target.exists() and target.read_bytes() == data:
        return
    fresh = _beside(target)
    try:
        fresh.write_bytes(data)
        fresh.replace(target)
    finally:
        fresh.unlink(missing_ok=True)


def _synthesise(entry: PromptText, target: Path) -> None:
    if entry.tone is not None:
        hertz, seconds = entry.tone
        sine = ["synth", str(seconds), "sine", str(hertz), "vol", "0.5"]
        _run(["sox", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(target), *sine])
        return
    raw = target.with_suffix(".raw.wav")
    voice = voice_for(entry.text)
    speed = "220" if entry.name.startswith("digit-") else SPEEDS[voice]
    _run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(raw), entry.text])
    try:
        # espeak-ng pads its output with silence; trimmed, ten digits read back in a few seconds
        _convert(
            raw,
            target,
            effects=[
                "silence",
                "1",
                "0.02",
                "0.5%",
                "reverse",
                "silence",
                "1",
                "0.02",
                "0.5%",
                "reverse",
                "pad",
                "0.03",
                "0.12",
            ],
        )
    finally:
        raw.unlink(missing_ok=True)


def voice_for(text: str) -> str:
    """Mandarin for text with Chinese characters, English otherwise ("For English, press 8")."""
    return VOICES["zh"] if any("\u4e00" <= ch <= "\u9fff" for ch in text) else VOICES["en"]


def _convert(source: Path, target: Path, effects: list[str] | None = None) -> None:
    tmp = _beside(target)
    argv = ["sox", str(source), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp)]
    try:
        _run([*argv, *(effects or [])])
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise PromptBuildError(f"{argv[0]} is not installed (make up installs it)")
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PromptBuildError(f"{' '.join(argv[:3])}... failed: {result.stderr.strip()[:300]}")
