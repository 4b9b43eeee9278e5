"""Faults a county's platform meets, survived with no call, case or event lost.

- Asterisk restarted under the application: calls in progress end cleanly, new calls work;
- PostgreSQL restarted while a caller's report is being taken in.
(The application killed, and Asterisk restarted, at every step of a report: test_no_word_lost.py.)

Each test states the events it expects; the platform runs inside the test's event loop so the
test can read its events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from casebook.db.migrate import upgrade
from casebook.db.models import CallEventRow
from common.paths import prompts_dir
from common.settings import Settings
from hotline.services import asterisk_process, lines_book
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound, AriUnavailable
from telephony.runtime.layout import resolve_layout
from tests.e2e.conftest import SLOT, running_platform
from tests.e2e.helpers import (
    agent_with_phone,
    place_call,
    prompt_seconds,
    speech_seconds,
    until_cases,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/lib/postgresql/bin"))


# --- the application killed mid-call: tests/e2e/test_no_word_lost.py kills it at every step of a report ----


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


async def test_a_tape_asked_for_while_asterisk_starts_is_never_taken_for_lost(
    asterisk: Settings, speech_wav: Path
) -> None:
    # Expected: a caller's tape stored in Asterisk's recording folder. While Asterisk starts, its
    # HTTP server answers every ARI path "404 Not Found" (an HTML page) for a moment, then "503
    # Asterisk not booted". The recording keeper asks for the tape all through the start, as its
    # sweep or a late "recording finished" may: each answer is the tape or "not serving yet"
    # (AriUnavailable), never "no such recording" (AriNotFound: the keeper would open the case
    # without the caller's words, "Asterisk kept no audio"). The CI run of 2026-12-03 lost a tape so.
    layout = resolve_layout(asterisk.asterisk)
    folder = layout.host_path(layout.dir("spool")) / "recording"
    folder.mkdir(parents=True, exist_ok=True)
    tape = folder / "rec-startup-probe.wav"
    shutil.copyfile(speech_wav, tape)
    owner = folder.stat()
    os.chown(tape, owner.st_uid, owner.st_gid)
    settings = asterisk.asterisk
    client = AriClient(settings.ari_url, settings.ari_user, settings.ari_secret(), settings.ari_app, retry_window_s=0.3)
    answers: list[str] = []
    starting = True

    async def ask_all_the_time() -> None:
        while starting:
            try:
                audio = await client.fetch_recording("rec-startup-probe")
                answers.append("tape" if audio == tape.read_bytes() else f"other bytes ({len(audio)})")
            except AriNotFound as exc:
                answers.append(f"not found: {exc}")
            except AriError as exc:
                answers.append("unavailable" if isinstance(exc, AriUnavailable) else f"error: {exc}")
            await asyncio.sleep(0.002)

    proc = asterisk_process(asterisk)
    try:
        await asyncio.to_thread(proc.stop)
        asking = asyncio.ensure_future(ask_all_the_time())
        await asyncio.to_thread(proc.start, lines_book(asterisk), prompts_dir(asterisk))
        for _ in range(50):  # on until the tape has been had a few times
            if answers.count("tape") >= 5:
                break
            await asyncio.sleep(0.1)
        starting = False
        await asking
    finally:
        await client.aclose()
        tape.unlink(missing_ok=True)
    kinds = sorted(set(answers))
    assert kinds == ["tape", "unavailable"], kinds
    print(f"{len(answers)} asks while Asterisk started: {answers.count('unavailable')} not serving yet, then the tape")


async def test_agents_signed_in_are_still_signed_in_after_asterisk_and_the_platform_restart(
    asterisk: Settings,
) -> None:
    # Expected: the agent joins the queues (agent.login); the platform and Asterisk stop and start
    # again (`make down && make up`); Asterisk restores its queues' members (persistentmembers) and
    # the new platform's desk finds the agent in the same queues, paused as before: nobody is
    # signed out without knowing it.
    import time

    from casebook.auth.policy import Actor, Role

    stamp = time.strftime("%H%M%S")
    name = f"stays-{stamp}"
    proc = asterisk_process(asterisk)
    async with running_platform(asterisk) as platform:
        agent_with_phone(platform.sessions, name, f"7{stamp[-4:]}")
        agent = Actor(name, Role.INTAKE_AGENT)
        desk = platform.state["desk"]
        await desk.login(agent)
        await desk.pause(agent, "会议 meeting")
        queues = dict(desk.states[name].queues)
    assert queues
    await asyncio.to_thread(proc.stop)
    await asyncio.to_thread(proc.start, lines_book(asterisk), prompts_dir(asterisk))
    async with running_platform(asterisk) as platform:
        desk = platform.state["desk"]
        try:
            for _ in range(100):
                if platform.ami.connected:
                    break
                await asyncio.sleep(0.2)
            await desk.resync()
            state = desk.states.get(name)
            assert state is not None and state.queues == queues, state
            assert state.paused and state.reason == "会议 meeting"
        finally:
            with contextlib.suppress(Exception):
                await desk.logout(Actor(name, Role.INTAKE_AGENT))


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
    # below the ephemeral ports (32768-60999): 55434 was once taken by a client socket in CI
    cluster = PrivateCluster(folder, 25432 + SLOT)
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
            found = await until_cases(settings.sqlalchemy_url, caller, timeout=90)
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
