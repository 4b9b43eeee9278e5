"""Faults a county's platform meets, survived with no call, case or event lost.

- the telephony application killed (SIGKILL) in the middle of a call, and started again;
- Asterisk restarted under the application;
- PostgreSQL restarted while a caller's report is being taken in.

Each test states the events it expects. The application killed runs as its own process
(`hotline serve`), as in production; the other two run it inside the test's event loop so the
test can read its events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from casebook.db.migrate import upgrade
from casebook.db.models import Caller, CallEventRow, Case, Recording
from common.paths import prompts_dir
from common.settings import Settings
from hotline.services import asterisk_process, lines_book
from tests.e2e.conftest import SLOT, running_platform
from tests.e2e.helpers import AriObserver, place_call, prompt_seconds, settings_env, speech_seconds, wait_for

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/lib/postgresql/bin"))


# --- helpers --------------------------------------------------------------------------------------
def _cases_of(database_url: str, caller: str) -> list[tuple[Case, list[Recording]]]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            cases = list(session.scalars(select(Case).join(Caller).where(Caller.phone == caller)))
            return [
                (case, list(session.scalars(select(Recording).where(Recording.case_id == case.id)))) for case in cases
            ]
    finally:
        engine.dispose()


async def _until_cases(database_url: str, caller: str, timeout: float) -> list[tuple[Case, list[Recording]]]:
    """The caller's cases once one has its recording (or what there is when the time is up)."""
    deadline = time.monotonic() + timeout
    found: list[tuple[Case, list[Recording]]] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the database may still be starting
            found = await asyncio.to_thread(_cases_of, database_url, caller)
            if found and all(recordings for _, recordings in found):
                return found
        await asyncio.sleep(0.5)
    return found


async def _in_stasis(settings: Settings) -> list[str]:
    """Channels Asterisk has in the Stasis application (whether or not it is connected)."""
    auth = (settings.ari_user, settings.secret("ari_password"))
    async with httpx.AsyncClient(timeout=3, auth=auth) as http:
        channels = (await http.get(f"{settings.ari_url}/ari/channels")).json()
    return [
        c["id"]
        for c in channels
        if (c.get("dialplan") or {}).get("app_name") == "Stasis" and not c["id"].startswith(("snoop-", "media-"))
    ]


class PlatformProcess:
    """`hotline serve` as its own process, on the test Asterisk, killable like a real one."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = settings_env(self.settings)
        env["HOTLINE_API_PORT"] = str(self.settings.api_port)
        env["HOTLINE_LOG_LEVEL"] = "INFO"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def ready(self, timeout: float = 30.0) -> float:
        """Seconds until /status says the Stasis application is connected."""
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.settings.api_port}/status"
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() - started < timeout:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    answer = await http.get(url)
                    if answer.json().get("components", {}).get("stasis", {}).get("ok"):
                        return time.monotonic() - started
                await asyncio.sleep(0.2)
        raise AssertionError(f"the platform did not connect: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- the application killed mid-call ---------------------------------------------------------------
async def test_the_application_killed_mid_call_takes_the_callers_message_when_it_is_back(
    asterisk: Settings, speech_wav: Path, tmp_path: Path
) -> None:
    # Expected: StasisStart once (the caller enters the application); the process is killed with
    # SIGKILL while the caller hears the greeting (no StasisEnd: Asterisk keeps the channel in the
    # application). A new process adopts the channel on connecting (call.started resumed=True),
    # says "interrupted" + "record-intro", records the caller's words, opens one case with the
    # recording, and hangs up (the caller sees the far end hang up). One case, one recording.
    caller = "13600000071"
    platform = PlatformProcess(asterisk, tmp_path / "platform.log")
    platform.start()
    try:
        await platform.ready()
        async with AriObserver(asterisk).running() as ari:
            call = asyncio.ensure_future(
                place_call(
                    asterisk,
                    "12345",
                    f"wait 18; say {speech_wav}; say {speech_wav}; say {speech_wav}; keys #; until-hangup 40",
                    caller=caller,
                )
            )
            for _ in range(150):
                if await _in_stasis(asterisk):
                    break
                await asyncio.sleep(0.1)
            assert len(await _in_stasis(asterisk)) == 1
            await asyncio.sleep(1.5)  # the greeting is playing
            platform.kill()
            killed_at = time.monotonic()
            await asyncio.sleep(1.0)
            platform.start()
            back_s = await platform.ready()
            intro = prompt_seconds(asterisk, "interrupted") + prompt_seconds(asterisk, "record-intro")
            # the caller speaks from 18 s to about 42 s after the call began (they cannot know when
            # the tone comes): the recording must have begun by then
            assert time.monotonic() - killed_at + intro < 36, "the caller would finish before the tone"
            result = await call
        assert result["answered"] and result["ended_by"] == "far end", result["timeline"]
        assert ari.count("ChannelDestroyed") >= 1 and await _in_stasis(asterisk) == []
        found = await _until_cases(asterisk.sqlalchemy_url, caller, timeout=30)
        assert len(found) == 1, f"one case for the call, got {len(found)}"
        case, recordings = found[0]
        assert case.line_number == "12345"
        assert len(recordings) == 1 and speech_seconds(Path(recordings[0].path)) > 2.0
        log = (tmp_path / "platform.log").read_text()
        assert "adopting call" in log and caller not in log
        print(f"platform back {back_s:.1f} s after the restart")
    finally:
        platform.stop()


async def test_the_application_killed_while_a_caller_speaks_keeps_their_recording_as_one_case(
    asterisk: Settings, speech_wav: Path, tmp_path: Path
) -> None:
    # Expected: the caller reports by key 1 and is recorded (the recording's facts are in Asterisk);
    # the process is killed (SIGKILL) while they speak; Asterisk goes on recording until their '#'.
    # A new process adopts the call, finds the recording still going and waits for its end; the
    # recording keeper stores it as the call's case; the caller hears "message received, goodbye"
    # and the far end hangs up. Exactly one case, one recording, with the words said.
    caller = "13600000075"
    intro = prompt_seconds(asterisk, "record-intro") + 1.2
    platform = PlatformProcess(asterisk, tmp_path / "platform.log")
    platform.start()
    try:
        await platform.ready()
        script = f"wait 4; keys 1; wait {intro:.1f}; say {speech_wav}; say {speech_wav}; keys #; until-hangup 60"
        call = asyncio.ensure_future(place_call(asterisk, "12345", script, caller=caller))
        for _ in range(150):
            if await _in_stasis(asterisk):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(4 + intro + 3)  # the caller is speaking, into the recording
        platform.kill()
        platform.start()
        await platform.ready()
        result = await call
        assert result["answered"], result["timeline"]
        found = await _until_cases(asterisk.sqlalchemy_url, caller, timeout=60)
        assert len(found) == 1, f"one case for the call, got {len(found)}"
        _case, recordings = found[0]
        assert len(recordings) == 1 and speech_seconds(Path(recordings[0].path)) > 5.0
        assert result["ended_by"] == "far end", result["timeline"]  # thanked after '#', not cut off
        assert "still recording" in (tmp_path / "platform.log").read_text()
    finally:
        platform.stop()


# --- Asterisk restarted ---------------------------------------------------------------------------------
async def test_asterisk_restarted_ends_calls_in_progress_cleanly_and_new_calls_work(
    asterisk: Settings, speech_wav: Path
) -> None:
    # Expected: a caller in the menu; Asterisk stops (`core stop now`): the caller's call is hung
    # up by the far end; ari.disconnected; the session ends (call.ended, none left); Asterisk
    # starts again: ari.connected; AMI is connected again; a new call reports by key 1 as usual
    # (ivr.case-opened, call.ended outcome=reported).
    proc = asterisk_process(asterisk)
    caller = "13600000072"
    intro = prompt_seconds(asterisk, "record-intro") + 1.2
    async with running_platform(asterisk) as platform:
        log: list = []
        with platform.bus.subscribe() as sub:
            first = asyncio.ensure_future(place_call(asterisk, "12345", "wait 60; hangup", caller="13600000073"))
            await wait_for(sub, "ivr.menu", log=log, timeout=20)
            await asyncio.to_thread(proc.stop)
            await wait_for(sub, "ari.disconnected", log=log, timeout=10)
            # the hangup usually arrives before the socket closes; if not, the resync ends the call
            ended = next((e for e in log if e.name == "call.ended"), None) or await wait_for(
                sub, "call.ended", log=log, timeout=15
            )
            result = await first
            assert result["ended_by"] == "far end", result["timeline"]
            assert platform.stasis.sessions == {}
            await asyncio.to_thread(proc.start, lines_book(asterisk), prompts_dir(asterisk))
            await wait_for(sub, "ari.connected", log=log, timeout=30)
            for _ in range(100):
                if platform.ami.connected:
                    break
                await asyncio.sleep(0.2)
            assert platform.ami.connected, "AMI did not reconnect"
            second = asyncio.ensure_future(
                place_call(
                    asterisk,
                    "12345",
                    f"wait 4; keys 1; wait {intro:.1f}; say {speech_wav}; keys #; until-hangup 60",
                    caller=caller,
                )
            )
            opened = await wait_for(sub, "ivr.case-opened", log=log, timeout=60)
            done = await wait_for(sub, "call.ended", log=log, timeout=60)
            await second
        assert ended.call_id != opened.call_id
        assert done.call_id == opened.call_id and done.data["outcome"] == "reported"


# --- PostgreSQL restarted during intake ------------------------------------------------------------
class PrivateCluster:
    """A PostgreSQL cluster of the test's own (initdb), so it can be stopped and started without
    touching the machine's database that the other tests use."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def _as_postgres(self, *argv: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        shutil.chown(self.folder, "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "pg.log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_pg() -> Iterator[PrivateCluster]:
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.skip("needs root and PostgreSQL's server binaries to run a private cluster")
    folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    cluster = PrivateCluster(folder, 55432 + SLOT)
    cluster.init()
    cluster.start()
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE hotline")
        upgrade(cluster.url("hotline"))
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def _down_for(cluster: PrivateCluster, seconds: float) -> AsyncIterator[None]:
    await asyncio.to_thread(cluster.stop)
    try:
        yield
        await asyncio.sleep(seconds)
    finally:
        await asyncio.to_thread(cluster.start)


async def test_postgresql_restarted_during_intake_loses_no_case_and_no_event(
    asterisk: Settings, speech_wav: Path, private_pg: PrivateCluster
) -> None:
    # Expected: the caller reports by key 1; PostgreSQL stops while they speak and stays down
    # through the '#' and the hangup (the IVR cannot open the case: the recording stays in
    # Asterisk with its facts); PostgreSQL starts again; the recording keeper's sweep stores the
    # message: exactly one case for the caller with its one recording; the call log writer, having
    # retried, stores the call's events including call.ended.
    settings = asterisk.model_copy(update={"database_url": private_pg.url("hotline")})
    caller = "13600000074"
    intro = prompt_seconds(asterisk, "record-intro") + 1.2
    async with running_platform(settings) as platform:
        platform.stasis.sweep_interval_s = 3.0  # the production sweep runs every 30 s
        log: list = []
        with platform.bus.subscribe() as sub:
            call = asyncio.ensure_future(
                place_call(
                    asterisk,
                    "12345",
                    f"wait 4; keys 1; wait {intro:.1f}; say {speech_wav}; keys #; until-hangup 40",
                    caller=caller,
                )
            )
            await wait_for(sub, "ivr.key", log=log, timeout=20)
            async with _down_for(private_pg, 6.0):
                result = await call
                assert result["answered"], result["timeline"]
            assert not any(e.name == "ivr.case-opened" for e in log), "the case was opened before the outage"
            found = await _until_cases(settings.sqlalchemy_url, caller, timeout=90)
        assert len(found) == 1, f"one case for the call, got {len(found)}"
        _case, recordings = found[0]
        assert len(recordings) == 1 and speech_seconds(Path(recordings[0].path)) > 2.0
        engine = create_engine(settings.sqlalchemy_url)
        try:
            for _ in range(60):
                with Session(engine) as session:
                    ended = session.scalar(
                        select(func.count()).select_from(CallEventRow).where(CallEventRow.name == "call.ended")
                    )
                if ended:
                    break
                await asyncio.sleep(0.5)
        finally:
            engine.dispose()
        assert ended == 1, "the call's end was not stored after the database came back"
