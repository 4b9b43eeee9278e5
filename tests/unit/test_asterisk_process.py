"""Stopping Asterisk: a busy Asterisk whose console does not answer is stopped by signal, not left
running behind a traceback (seen in CI: `core stop now` timed out after 5 s under load)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import Settings
from telephony.runtime.layout import AsteriskLayout
from telephony.runtime.process import AsteriskProcess


def test_an_asterisk_deaf_to_its_console_is_stopped_by_signal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    proc = AsteriskProcess(settings.asterisk, AsteriskLayout(tmp_path, "unit"))
    # a stand-in that only a signal stops, leading its own process group as Asterisk does
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    asked: list[str] = []

    def deaf_console(command: str, *, check: bool = True, timeout: float = 15) -> str:
        asked.append(command)
        raise subprocess.TimeoutExpired(["asterisk", "-rx", command], timeout)

    monkeypatch.setattr(proc, "pid", lambda: stand_in.pid if stand_in.poll() is None else None)
    monkeypatch.setattr(proc, "cli", deaf_console)
    try:
        assert proc.stop(timeout=4) is True
        assert asked == ["core stop now"]
        assert stand_in.wait(timeout=5) is not None  # ended by SIGTERM
    finally:
        if stand_in.poll() is None:
            stand_in.kill()


def test_the_platforms_numbers_become_asterisks_digits_where_asterisk_has_none(tmp_path: Path) -> None:
    """Asterisk's queues say a caller's place with digits/<n> of the channel's language: the Chinese
    ones are made from the prompts number-*; a language Asterisk has (a link into its root) is left
    alone; a changed prompt is written again, an unchanged one not."""
    from telephony.runtime.process import install_digits

    prompts, sounds = tmp_path / "prompts", tmp_path / "sounds"
    for language in ("zh", "en"):
        (prompts / language).mkdir(parents=True)
        (prompts / language / "number-20.wav").write_bytes(f"{language} twenty".encode())
        (prompts / language / "menu.wav").write_bytes(b"not a number")
    sounds.mkdir()
    (sounds / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")  # dangling outside the root
    assert install_digits(prompts, sounds) == 1
    assert (sounds / "zh" / "digits" / "20.wav").read_bytes() == b"zh twenty"
    assert sorted(p.name for p in (sounds / "zh" / "digits").iterdir()) == [".hotline", "20.wav"]
    assert install_digits(prompts, sounds) == 0  # unchanged
    (prompts / "zh" / "number-20.wav").write_bytes(b"zh twenty, studio")
    assert install_digits(prompts, sounds) == 1
    assert (sounds / "zh" / "digits" / "20.wav").read_bytes() == b"zh twenty, studio"
