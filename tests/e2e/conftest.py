"""End-to-end fixtures: a real Asterisk (instance `test`), a real database, the real platform.

Asterisk runs once per session on its own ports (SIP 5160, ARI 8188, AMI 5138) so a developer's
`make up` instance on the default ports is not disturbed. `HOTLINE_E2E_SLOT=N` (N >= 1) moves the
instance to `testN` and every port by N*10 (media by N*1000), so two developers of one machine
can run end-to-end tests side by side. Under pytest-xdist each worker (`gw0`, `gw1`, ...) takes the
next slot after that one, so the workers of one run each have their own Asterisk, ports and database.
The platform (Stasis application) runs inside each test's event loop, so tests can stop it, start it,
and read its events.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, build_all_prompts, lines_book
from telephony.runtime.layout import resolve_layout
from telephony.runtime.rootfs import build_rootfs
from tests.conftest import new_database

DATA = Path(__file__).resolve().parents[1] / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an e2e test (`pytestmark` in a conftest marks nothing), and
    one that fails is run once more: real calls on a loaded two-core machine miss a timing now
    and then, and a failure seen twice is a failure (decision 0019: the reruns are printed)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


def _slot() -> int:
    """This process's slot: the developer's HOTLINE_E2E_SLOT, moved on by the xdist worker's number."""
    base = int(os.environ.get("HOTLINE_E2E_SLOT", "0"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under pytest-xdist
    return base + int(worker[2:]) + 1 if worker.startswith("gw") else base


SLOT = _slot()


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    """The end-to-end tests' own database: not the unit tests' of this process, whose leftovers
    (callbacks due, agents, rules) a real platform would act on (it dials every callback due)."""
    from casebook.db.migrate import upgrade

    for url in new_database("e2e"):
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def e2e_settings(tmp_path_factory: pytest.TempPathFactory, e2e_database: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=tmp_path_factory.mktemp("hotline-data"),
        database_url=e2e_database,
        lines_file=DATA / "lines.yaml",
        asterisk_instance=f"test{SLOT}" if SLOT else "test",
        sip_port=5160 + SLOT * 10,
        ari_port=8188 + SLOT * 10,
        ami_port=5138 + SLOT * 10,
        api_port=8100 + SLOT * 10,
        rtp_port_start=30000 + SLOT * 2000,
        rtp_port_end=31999 + SLOT * 2000,
        media_port_start=40000 + SLOT * 1000,
        media_port_end=40999 + SLOT * 1000,
        ari_password=secrets.token_urlsafe(24),
        ami_password=secrets.token_urlsafe(24),
        menu_timeout_s=4.0,
        asr_warm_at_start=2,  # each worker process warms its own pool once; a test needing more primes them
        digit_timeout_s=3.0,
        # the desk phones' address: a registration that races a reload of Asterisk must not lock every
        # later test's phones out for an hour (the SIP guard's own test takes this away again)
        sip_block_exempt=["127.0.0.2"],
    )


@pytest.fixture(scope="session")
def asterisk(e2e_settings: Settings) -> Iterator[Settings]:
    """A real Asterisk 22 for the whole session."""
    layout = resolve_layout(e2e_settings.asterisk)
    if layout.chrooted:
        build_rootfs(layout.root)
    build_all_prompts(e2e_settings)
    proc = asterisk_process(e2e_settings)
    proc.stop()
    # a fresh astdb for each session: queue members an earlier run left (persistentmembers) would
    # come back as agents nobody started
    (layout.host_path(layout.dir("lib")) / "astdb.sqlite3").unlink(missing_ok=True)
    local = layout.host_path(layout.dir("etc")) / "extensions_local.conf"
    local.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "extensions_local.conf", local)
    proc.start(lines_book(e2e_settings), prompts_dir(e2e_settings))
    try:
        yield e2e_settings
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8 s of Mandarin speech (espeak-ng), 8 kHz 16-bit, as a caller would say it."""
    folder = tmp_path_factory.mktemp("speech")
    raw, out = folder / "raw.wav", folder / "speech.wav"
    text = "新津县五津镇河边有几十头死猪，学校游泳池旁边很臭，请尽快处理。"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "170", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
    return out


@contextlib.asynccontextmanager
async def running_platform(settings: Settings) -> AsyncIterator[Platform]:
    platform = Platform(settings)
    task = asyncio.create_task(platform.serve(api=False))
    try:
        await asyncio.wait_for(platform.stasis.ready.wait(), 15)
        yield platform
    finally:
        await stop_platform(platform, task)


async def stop_platform(platform: Platform, task: asyncio.Task[None], *, within_s: float = 20.0) -> None:
    """Cancel a platform's `serve` and close it. A platform that does not stop within `within_s`
    (seen once in several suite runs, cause not yet found: issue 14's note) is logged with the
    stack of every task still running, then those tasks are cancelled: the next test gets a
    clean loop, and the log says what held the platform."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=within_s)
    if not done:
        current = asyncio.current_task()
        stuck = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        report = io.StringIO()
        for t in stuck:
            t.print_stack(file=report)
        logging.getLogger("tests.e2e").error(
            "the platform did not stop within %s s; tasks still running:\n%s", within_s, report.getvalue()
        )
        for t in stuck:
            t.cancel()
        await asyncio.wait({task}, timeout=within_s)
    with contextlib.suppress(asyncio.CancelledError):
        if task.done():
            task.result()
    await platform.close()


@pytest.fixture
async def platform(asterisk: Settings) -> AsyncIterator[Platform]:
    async with running_platform(asterisk) as running:
        yield running


@pytest.fixture
async def serving(asterisk: Settings) -> AsyncIterator[Platform]:
    """The whole platform, API and pages included, as `hotline serve` runs it."""
    platform = Platform(asterisk)
    task = asyncio.create_task(platform.serve(api=True))
    try:
        await asyncio.wait_for(platform.stasis.ready.wait(), 15)
        for _ in range(100):
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection(asterisk.api_host, asterisk.api_port)
                writer.close()
                break
            await asyncio.sleep(0.1)
        yield platform
    finally:
        await stop_platform(platform, task)
