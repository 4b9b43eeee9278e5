"""Starting, stopping and inspecting one Asterisk instance.

`start` renders the configuration, installs the prompts, launches Asterisk in the background
(`asterisk -f` under chroot when running from the root filesystem) and waits until ARI answers.
The process id is kept in the platform's data dir so `stop` and `status` find it again.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from common.settings import AsteriskSettings
from ivr.lines import LineBook
from telephony.runtime.config import PhoneAccount, render_changes, render_configuration
from telephony.runtime.layout import AsteriskLayout, AsteriskNotInstalled
from telephony.runtime.rootfs import is_built

log = logging.getLogger(__name__)


ASTERISK_SOUNDS = PurePosixPath("/usr/share/asterisk/sounds")  # astdatadir's sounds (asterisk.conf.j2)
NUMBER_PREFIX = "number-"  # the prompts number-7, number-20, number-hundred: Asterisk's digits/7...


def install_digits(prompts_dir: Path, sounds: Path) -> int:
    """The platform's number prompts as Asterisk's `<language>/digits/<n>.wav`, for the languages
    Asterisk has no digits of (its English ones are the package's). Written only when changed
    (Asterisk may be reading them); returns how many were written."""
    written = 0
    for folder in sorted(p for p in prompts_dir.iterdir() if p.is_dir()) if prompts_dir.is_dir() else []:
        ours = sounds / folder.name / "digits" / ".hotline"
        if os.path.lexists(sounds / folder.name) and not ours.exists():
            continue  # Asterisk's own sounds of this language (maybe a link into its root): left alone
        for prompt in sorted(folder.glob(f"{NUMBER_PREFIX}*.wav")):
            target = sounds / folder.name / "digits" / (prompt.name.removeprefix(NUMBER_PREFIX))
            data = prompt.read_bytes()
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            (target.parent / ".hotline").touch()  # made by the platform: rewritten when prompts change
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.chmod(tmp, 0o644)
            tmp.replace(target)
            written += 1
    return written


class AsteriskStartError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class AsteriskStatus:
    running: bool
    pid: int | None
    ari_ok: bool
    version: str
    app_connected: bool

    def describe(self) -> str:
        if not self.running:
            return "asterisk: stopped"
        parts = [f"asterisk: running (pid {self.pid})", f"version {self.version or '?'}"]
        parts.append("ARI answering" if self.ari_ok else "ARI not answering")
        parts.append("Stasis application connected" if self.app_connected else "Stasis application not connected")
        return ", ".join(parts)


class AsteriskProcess:
    def __init__(
        self,
        asterisk: AsteriskSettings,
        layout: AsteriskLayout,
        phones: Callable[[], Sequence[PhoneAccount]] = tuple,
    ) -> None:
        self.asterisk = asterisk
        self.layout = layout
        # the agents' desk phones, read when a configuration is rendered (start, reload), not for
        # stop, status or cli
        self.phones = phones
        # Asterisk's own pid file, in the instance's run folder: found by any process of the
        # installation, whatever its data dir (tests and benchmarks use temporary ones)
        self.pid_file = layout.host_path(layout.dir("run")) / "asterisk.pid"
        self.console_log = asterisk.data_dir / f"asterisk-{layout.instance}.console.log"

    # --- lifecycle ------------------------------------------------------------------------------
    def check_installed(self) -> None:
        if self.layout.chrooted and not is_built(self.layout.root):
            raise AsteriskNotInstalled(
                f"no Asterisk root filesystem at {self.layout.root}: run `hotline asterisk build` first"
            )
        if not self.layout.chrooted and shutil.which("asterisk") is None:
            raise AsteriskNotInstalled("asterisk is not installed on this system")

    def install_prompts(self, prompts_dir: Path) -> None:
        """Copy the built prompts into the instance's sounds folder (Asterisk may be chrooted), and
        the numbers as Asterisk's own digits of their language (what its queues say a caller's
        place and wait with)."""
        target = self.layout.host_path(self.layout.dir("sounds"))
        if target.resolve() != prompts_dir.resolve():
            shutil.copytree(prompts_dir, target, dirs_exist_ok=True)
        install_digits(prompts_dir, self.layout.host_path(ASTERISK_SOUNDS))

    def start(self, lines: LineBook, prompts_dir: Path, *, timeout: float = 30.0) -> int:
        """Render, install prompts, launch, and wait for ARI; return the pid. Idempotent."""
        self.check_installed()
        if (pid := self.pid()) is not None:
            return pid
        render_configuration(
            self.asterisk, self.layout, lines, phones=self.phones(), queue_wait_s=self.asterisk.queue_max_wait_s
        )
        self.install_prompts(prompts_dir)
        self.asterisk.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.console_log.open("ab")
        proc = subprocess.Popen(
            self.layout.command("-f", "-n"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AsteriskStartError(
                    f"asterisk exited with {proc.returncode}; see {self.console_log} and "
                    f"{self.layout.host_path(self.layout.dir('log') / 'messages.log')}"
                )
            if self._ari_info() is not None and self.pid() == proc.pid:
                return proc.pid
            time.sleep(0.2)
        self.stop()
        raise AsteriskStartError(f"ARI did not answer within {timeout:.0f} s; see {self.console_log}")

    def run_foreground(self, lines: LineBook, prompts_dir: Path) -> None:
        """Render, install prompts, and replace this process with Asterisk (never returns)."""
        self.check_installed()
        render_configuration(
            self.asterisk, self.layout, lines, phones=self.phones(), queue_wait_s=self.asterisk.queue_max_wait_s
        )
        self.install_prompts(prompts_dir)
        argv = self.layout.command("-f", "-n")
        os.execvp(argv[0], argv)

    def stop(self, *, timeout: float = 10.0) -> bool:
        """Stop gracefully (`core stop now`), then by signal; True if something was running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            self.cli("core stop now", check=False, timeout=5)
        except subprocess.TimeoutExpired:
            # a busy Asterisk (seen under a loaded CI) may not answer its console in time: the
            # signals below stop it all the same, instead of the stop failing with a traceback
            log.warning("Asterisk did not answer 'core stop now' within 5 s; stopping it by signal")
        if not _wait_exit(pid, timeout / 2):
            _signal(pid, signal.SIGTERM)
            if not _wait_exit(pid, timeout / 2):
                _signal(pid, signal.SIGKILL)
                _wait_exit(pid, 2)
        return True

    def render(self, lines: LineBook, phones: Sequence[PhoneAccount]) -> set[str]:
        """Write the configuration with these lines and phones, without reloading anything; the
        names of the files that changed."""
        return render_changes(
            self.asterisk, self.layout, lines, phones=phones, queue_wait_s=self.asterisk.queue_max_wait_s
        )

    def reload(self, lines: LineBook, prompts_dir: Path) -> str:
        """Re-render the configuration and reload it into the running Asterisk (calls stay up)."""
        render_configuration(
            self.asterisk, self.layout, lines, phones=self.phones(), queue_wait_s=self.asterisk.queue_max_wait_s
        )
        self.install_prompts(prompts_dir)
        return self.cli("core reload")

    # --- inspection ----------------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid) or not _is_asterisk(pid):
            return None
        return pid

    def status(self) -> AsteriskStatus:
        pid = self.pid()
        info = self._ari_info()  # also finds an Asterisk started by someone else (container, systemd)
        connected = False
        if info is not None:
            connected = self._app_connected()
        system = (info or {}).get("system")
        version = str(system.get("version", "")) if isinstance(system, dict) else ""
        return AsteriskStatus(pid is not None or info is not None, pid, info is not None, version, connected)

    def cli(self, command: str, *, check: bool = True, timeout: float = 15) -> str:
        """Run one Asterisk CLI command against the running instance and return its output."""
        result = subprocess.run(
            self.layout.command("-rx", command), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AsteriskStartError(f"asterisk -rx {command!r} failed: {result.stderr.strip()}")
        return result.stdout

    def _auth(self) -> tuple[str, str]:
        return (self.asterisk.ari_user, self.asterisk.ari_secret())

    def _ari_info(self) -> dict[str, object] | None:
        try:
            response = httpx.get(f"{self.asterisk.ari_url}/ari/asterisk/info", auth=self._auth(), timeout=1.0)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        body: dict[str, object] = response.json()
        return body

    def _app_connected(self) -> bool:
        try:
            response = httpx.get(
                f"{self.asterisk.ari_url}/ari/applications/{self.asterisk.ari_app}", auth=self._auth(), timeout=1.0
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _is_asterisk(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"asterisk" in cmdline.read()
    except OSError:
        return False


def _wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)
