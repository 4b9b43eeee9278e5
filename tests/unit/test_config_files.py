"""Configuration files replaced in one step, by several writers at once (common.files.replace_text)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from common.files import replace_text


def test_writers_replacing_one_file_at_once_never_trip_over_each_other(tmp_path: Path) -> None:
    target = tmp_path / "pjsip.conf"
    texts = [f"; writer {n}\n" * 200 for n in range(8)]

    def write(n: int) -> None:
        for _ in range(100):
            replace_text(target, texts[n], 0o640)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))  # a shared temporary name raised FileNotFoundError here
    assert target.read_text() in texts  # one writer's whole text, never a mixture
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in tmp_path.iterdir()] == ["pjsip.conf"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "acl.conf"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        replace_text(target, "new \udcff\n", 0o644)  # not encodable: the write fails
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["acl.conf"]
