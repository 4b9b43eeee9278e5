"""Building the Asterisk root filesystem from Debian's packages with mmdebstrap.

Debian's stable release carries no Asterisk; sid carries Asterisk 22. mmdebstrap builds a
minimal sid root with it in well under a minute, from the same mirror the machine already uses
(read from its apt sources, never written into this repository). The root is cached outside
the checkout and rebuilt only when the package list changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-gsm",
    "asterisk-moh-opsound-gsm",
)
SUITE = "sid"
STAMP = ".hotline-rootfs"


class RootfsBuildError(RuntimeError):
    pass


RECIPE_VERSION = "2"  # 2: Asterisk's user gets ids of its own, unused on the host


def recipe_id() -> str:
    return hashlib.sha256(f"{RECIPE_VERSION}|{SUITE}|{','.join(PACKAGES)}".encode()).hexdigest()[:16]


def is_built(root: Path) -> bool:
    stamp = root / STAMP
    return stamp.exists() and stamp.read_text().strip() == recipe_id()


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses (deb822 `URIs:` or a one-line `deb` entry)."""
    for path in sorted((sources_dir / "sources.list.d").glob("*.sources")):
        for line in path.read_text().splitlines():
            match = re.match(r"^URIs:\s*(\S+)", line)
            if match and "security" not in match.group(1):
                return match.group(1)
    legacy = sources_dir / "sources.list"
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            match = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+", line)
            if match and "security" not in match.group(1):
                return match.group(1)
    raise RootfsBuildError("no Debian mirror found in the machine's apt sources")


def build_rootfs(root: Path, *, force: bool = False, mirror: str | None = None) -> bool:
    """Build the root filesystem at `root` unless an up-to-date one is there; True if built."""
    if is_built(root) and not force:
        return False
    if shutil.which("mmdebstrap") is None:
        raise RootfsBuildError("mmdebstrap is not installed (make up installs it: apt-get install mmdebstrap)")
    source = mirror or apt_mirror()
    staging = root.with_name(root.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        "mmdebstrap",
        "--variant=apt",
        '--aptopt=Acquire::Check-Valid-Until "false"',
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(staging),
        source,
    ]
    log.info("building the Asterisk root filesystem at %s (about a minute)", root)
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RootfsBuildError("mmdebstrap failed:\n" + result.stderr[-2000:])
    isolate_asterisk_user(staging)
    (staging / STAMP).write_text(recipe_id() + "\n")
    if root.exists():
        shutil.rmtree(root)
    staging.rename(root)
    return True


def _ids(path: Path, field: int) -> set[int]:
    ids = set()
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split(":")
            if len(parts) > field and parts[field].isdigit():
                ids.add(int(parts[field]))
    return ids


def isolate_asterisk_user(root: Path, host_etc: Path = Path("/etc")) -> int | None:
    """Give the root filesystem's `asterisk` user and group an id no host account uses.

    Debian assigns it a low system id (101), which on the host may belong to another service
    (postgres, a group with ssh access...): files Asterisk writes would then belong to that
    host account. An id from 64000 up that neither the host nor the root uses avoids it.
    """
    passwd, group = root / "etc/passwd", root / "etc/group"
    entry = next((line.split(":") for line in passwd.read_text().splitlines() if line.startswith("asterisk:")), None)
    if entry is None:
        return None
    old_uid, old_gid = int(entry[2]), int(entry[3])
    taken = _ids(host_etc / "passwd", 2) | _ids(host_etc / "group", 2) | _ids(passwd, 2) | _ids(group, 2)
    new = next(i for i in range(64000, 65000) if i not in taken)
    passwd.write_text(
        "\n".join(
            ":".join([p[0], p[1], str(new), str(new), *p[4:]]) if p[0] == "asterisk" else ":".join(p)
            for p in (line.split(":") for line in passwd.read_text().splitlines())
        )
        + "\n"
    )
    group.write_text(
        "\n".join(
            ":".join([p[0], p[1], str(new), *p[3:]]) if p[0] == "asterisk" else ":".join(p)
            for p in (line.split(":") for line in group.read_text().splitlines())
        )
        + "\n"
    )
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if info.st_uid == old_uid or info.st_gid == old_gid:
                os.lchown(path, new if info.st_uid == old_uid else -1, new if info.st_gid == old_gid else -1)
    log.info("asterisk's user in %s now has id %d (was %d:%d)", root, new, old_uid, old_gid)
    return new
