"""Where one Asterisk instance keeps its files.

Asterisk runs either from a root filesystem built with mmdebstrap (development, tests, CI) or
from the system (`asterisk` installed, as in the production image). Either way the instance's
own files live under `/srv/hotline/<instance>/` *as Asterisk sees it*; `host_path()` maps such a
path to the host (prefixing the root filesystem when there is one).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from common.settings import AsteriskSettings


class AsteriskNotInstalled(RuntimeError):
    """Neither a system Asterisk nor a built root filesystem is there."""


@dataclass(frozen=True, slots=True)
class AsteriskLayout:
    root: Path  # "/" for a system Asterisk
    instance: str

    @property
    def chrooted(self) -> bool:
        return self.root != Path("/")

    @property
    def base(self) -> PurePosixPath:
        return PurePosixPath("/srv/hotline") / self.instance

    def dir(self, name: str) -> PurePosixPath:
        return self.base / name

    @property
    def dirs(self) -> dict[str, PurePosixPath]:
        names = ("etc", "lib", "spool", "run", "log", "sounds")
        found = {n: self.dir(n) for n in names}
        found["modules"] = self.modules_dir
        return found

    @property
    def config_file(self) -> PurePosixPath:
        return self.dir("etc") / "asterisk.conf"

    @property
    def modules_dir(self) -> PurePosixPath:
        for candidate in sorted(self.root.glob("usr/lib/*/asterisk/modules")):
            return PurePosixPath("/") / candidate.relative_to(self.root)
        return PurePosixPath("/usr/lib/asterisk/modules")

    def host_path(self, inside: PurePosixPath) -> Path:
        return self.root / str(inside).lstrip("/")

    def command(self, *args: str) -> list[str]:
        """The argv that runs `asterisk <args>` for this instance, inside the root if there is one."""
        argv = ["asterisk", "-C", str(self.config_file), *args]
        return ["chroot", str(self.root), *argv] if self.chrooted else argv

    def run_user(self) -> str | None:
        """Asterisk's own unprivileged user when the root has one (Debian's package creates it)."""
        passwd = self.root / "etc/passwd"
        if passwd.exists() and any(line.startswith("asterisk:") for line in passwd.read_text().splitlines()):
            return "asterisk"
        return None

    def user_ids(self) -> tuple[int, int] | None:
        passwd = self.root / "etc/passwd"
        if not passwd.exists():
            return None
        for line in passwd.read_text().splitlines():
            parts = line.split(":")
            if parts[0] == "asterisk":
                return int(parts[2]), int(parts[3])
        return None


def resolve_layout(asterisk: AsteriskSettings) -> AsteriskLayout:
    """Pick the system Asterisk or the root filesystem, as settings and the machine allow."""
    if asterisk.mode == "system" or (asterisk.mode == "auto" and shutil.which("asterisk")):
        return AsteriskLayout(Path("/"), asterisk.instance)
    return AsteriskLayout(asterisk.rootfs, asterisk.instance)
