"""Small factories the CLI and the processes share (nothing is created at import time)."""

from __future__ import annotations

from common.paths import prompts_dir, tts_cache_dir
from common.settings import Settings
from ivr.lines import LineBook, load_lines
from ivr.prompts import build_prompts, load_catalogue
from telephony.runtime.layout import resolve_layout
from telephony.runtime.process import AsteriskProcess


def lines_book(settings: Settings) -> LineBook:
    return load_lines(settings.lines_file)


def build_all_prompts(settings: Settings) -> tuple[int, int]:
    entries = load_catalogue(lines_book(settings))
    made = build_prompts(entries, prompts_dir(settings), tts_cache_dir(settings), settings.prompts_override_dir)
    return made, len(entries)


def asterisk_process(settings: Settings) -> AsteriskProcess:
    return AsteriskProcess(settings, resolve_layout(settings))
