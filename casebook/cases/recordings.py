"""Where the callers' recorded messages are kept: files under the recordings folder, one per
message, by month (`<root>/YYYY/MM/<case>-<name>.wav`), written whole or not at all.

The database row (`Recording`) holds the path, size and SHA-256 that `keep` returns; the API serves
the file from that path. A store of its own, so that another (object storage, a NAS) replaces only
this class.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from common.files import write_durably


@dataclass(frozen=True, slots=True)
class Kept:
    path: Path
    size_bytes: int
    sha256: str


class RecordingStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def keep(self, case_number: str, name: str, audio: bytes, at: datetime) -> Kept:
        """Write the audio whole and on the disk before the case's row says it is there
        (`common.files.write_durably`: a crash leaves a `.part`, never a truncated `.wav`)."""
        path = self.root / at.strftime("%Y/%m") / f"{case_number}-{name}.wav"
        write_durably(path, audio)
        return Kept(path, len(audio), hashlib.sha256(audio).hexdigest())
