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
