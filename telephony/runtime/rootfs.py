"""Building the Asterisk root filesystem from Debian's packages with mmdebstrap.

Debian's stable release carries no Asterisk; sid carries Asterisk 22. mmdebstrap builds a
minimal sid root with it in well under a minute, from the same mirror the machine already uses
(read from its apt sources, never written into this repository). The root is cached outside
the checkout and rebuilt only when the package list changes.
"""

from __future__ import annotations

import hashlib
import logging
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


def recipe_id() -> str:
    return hashlib.sha256(f"{SUITE}|{','.join(PACKAGES)}".encode()).hexdigest()[:16]


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
    (staging / STAMP).write_text(recipe_id() + "\n")
    if root.exists():
        shutil.rmtree(root)
    staging.rename(root)
    return True
