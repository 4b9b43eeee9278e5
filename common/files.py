"""Files the platform must not lose: a caller's recorded words, a clerk's attachments.

They are written once and then referred to by a database row that is committed right after; the
copy elsewhere (Asterisk's tape) is deleted once that commit is done. So the file has to be on the
disk, whole, before the commit: written beside its place (`.part`), flushed to the disk, renamed
into place, and the folder's new entry flushed too. A crash at any moment leaves either no file
(the database row is not committed either, and Asterisk keeps its copy) or the whole file; never
a name with missing bytes.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_durably(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all, and on the disk when this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def replace_text(path: Path, text: str, mode: int) -> None:
    """Put `text` at `path` in one step (a reader sees the old file or the new one), through a
    temporary file of this writer's own: two processes rendering the same configuration at once
    (a platform starting while a test or an operator's command renders it) once shared one
    `pjsip.tmp`, and the second renamed it away under the first (FileNotFoundError)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
