"""Where generated artefacts of an installation live (all under the data dir or the cache)."""

from __future__ import annotations

from pathlib import Path

from common.settings import Settings


def prompts_dir(settings: Settings) -> Path:
    return settings.data_dir / "prompts"


def tts_cache_dir(settings: Settings) -> Path:
    return settings.cache_dir / "tts"


def recordings_dir(settings: Settings) -> Path:
    return settings.casebook.recordings_dir


def reports_dir(settings: Settings) -> Path:
    return settings.casebook.reports_dir
