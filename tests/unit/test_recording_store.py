"""The recording store keeps a message whole or not at all, where the API will look for it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casebook.cases.recordings import RecordingStore

AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def test_a_message_is_kept_by_month_with_its_size_and_digest(tmp_path: Path) -> None:
    audio = b"RIFF" + bytes(range(256)) * 40
    kept = RecordingStore(tmp_path).keep("2612030001", "rec-1", audio, AT)
    assert kept.path == tmp_path / "2026" / "12" / "2612030001-rec-1.wav"
    assert kept.path.read_bytes() == audio
    assert (kept.size_bytes, kept.sha256) == (len(audio), hashlib.sha256(audio).hexdigest())
    assert not list(tmp_path.rglob("*.part"))


def test_a_store_that_cannot_write_says_so_and_leaves_no_half_file(tmp_path: Path) -> None:
    blocked = tmp_path / "recordings"
    blocked.write_text("a file where the folder should be")  # as a full or read-only disk would refuse
    with pytest.raises(OSError):
        RecordingStore(blocked).keep("2612030002", "rec-2", b"RIFF....", AT)
    assert not list(tmp_path.rglob("*.wav"))


def test_the_file_and_its_folder_entry_are_on_the_disk_before_the_row_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the casebook commits the recording's row, then Asterisk's copy is deleted: a power cut just
    # after must find the whole file, so the file's bytes and then the folder are flushed to disk
    import os

    from common import files

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    kept = RecordingStore(tmp_path).keep("2612030003", "rec-3", b"RIFF" + bytes(1000), AT)
    assert synced == ["file", "folder"]
    assert kept.path.read_bytes() == b"RIFF" + bytes(1000)
