"""No word lost: the application killed, or Asterisk restarted, at every step of a report.

Each drill places one real caller (pjsua2) who does what callers do: press 1 and start talking at
once, over the prompt. The test watches Asterisk's own events (a second ARI application that sees
everything) for the step, then strikes:

- the application: `hotline serve`, its own process as in production, killed with SIGKILL and
  started again. Asterisk keeps the caller and goes on recording their words; the new process
  adopts the call and finishes it (an apology and the tone, the rest of the message, or the case
  number read again);
- Asterisk: stopped (`core stop now`, or SIGKILL) and started again under the running application.
  The call is cut; what Asterisk recorded until then, with its facts, becomes the case.

After each drill the caller has exactly one case holding every word they said (energy over the
same seconds of voice the caller sent, no prompt mixed in), or none where they never chose to
report and said nothing. A case whose words may be cut short is marked "call back".
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.paths import prompts_dir
from common.settings import Settings
from hotline.services import asterisk_process, lines_book
from telephony.runtime.layout import resolve_layout
from tests.e2e.conftest import running_platform
from tests.e2e.helpers import (
    AriObserver,
    PlatformProcess,
    cases_of,
    in_stasis,
    place_call,
    speech_seconds,
    until_cases,
    wait_for,
)


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a caller says: about 4 s of Mandarin (espeak-ng), 8 kHz 16-bit."""
    folder = tmp_path_factory.mktemp("words")
    raw, out = folder / "raw.wav", folder / "words.wav"
    subprocess.run(
        ["espeak-ng", "-v", "cmn", "-s", "200", "-w", str(raw), "五津镇河边有死猪，请尽快处理。"], check=True
    )
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def serving(asterisk: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    """`hotline serve` as its own process, shared by the drills (each kills it and starts it again)."""
    platform = PlatformProcess(asterisk, tmp_path_factory.mktemp("serve") / "platform.log")
    platform.start()
    SERVING.append(platform)
    try:
        yield platform
    finally:
        SERVING.remove(platform)
        platform.stop()


SERVING: list[PlatformProcess] = []  # the kill drills' `hotline serve`, while the module has one


def _serving_stopped() -> None:
    """The restart drills run one platform (the test's own): the kill drills' process, left
    running, would be a second keeper of the same tapes (their start it again)."""
    for platform in SERVING:
        platform.stop()


def _playing(sound: str) -> Callable[[dict[str, Any]], bool]:
    return lambda raw: str((raw.get("playback") or {}).get("media_uri", "")).endswith(f"/{sound}")


def _key(digit: str) -> Callable[[dict[str, Any]], bool]:
    return lambda raw: raw.get("digit") == digit


@dataclass(frozen=True)
class Step:
    """Where in a report the fault strikes: Asterisk's event that marks it, and a delay after it."""

    name: str
    event: str  # an ARI event type, or "bus:<platform event>" (the platform in the test's own loop)
    where: Callable[[dict[str, Any]], bool]
    after_s: float


GREETING = Step("greeting", "PlaybackStarted", lambda raw: "/greeting-" in str(raw.get("playback")), 0.3)
MENU = Step("menu", "PlaybackStarted", _playing("menu"), 1.0)
KEY = Step("key", "ChannelDtmfReceived", _key("1"), 0.0)
INTRO = Step("intro", "PlaybackStarted", _playing("record-intro"), 0.5)
MESSAGE = Step("message", "PlaybackFinished", _playing("tone"), 2.0)
AFTER_HASH = Step("after #", "ChannelDtmfReceived", _key("#"), 0.0)
READ_BACK = Step("read-back", "PlaybackStarted", _playing("case-opened"), 0.5)

# what the caller does (the words are said where "S" stands)
# silent until the greeting and the recording notice after it are over (5.2 s)
SPEAKS_LATER = "wait 5.6; say S; wait 1; keys #; until-hangup 60"
REPORTS = "wait 1; keys 1; say S; wait 1; keys #; until-hangup 60"  # key 1 and talk at once
REPORTS_AT_LENGTH = "wait 1; keys 1; say S; say S; say S; wait 1; keys #; until-hangup 60"
REPORTS_AT_LENGTH_THEN_HANGS_UP = "wait 1; keys 1; say S; say S; say S; wait 1; keys #; wait 2; hangup"
SILENT = "wait 20; hangup"


_ATTEMPTS = itertools.count()


def _caller(group: str, case: int) -> str:
    """A number of its own for each attempt: a rerun must not count the case its failed try left."""
    return f"137{group}{case:02d}{(os.getpid() * 100 + next(_ATTEMPTS)) % 10**5:05d}"


async def _strike_at(ari: AriObserver, step: Step, since: int, strike: Callable[[], Any], bus: Any = None) -> float:
    if step.event.startswith("bus:"):
        await wait_for(bus, step.event[4:], timeout=40)
    else:
        await ari.until(step.event, 40, since=since, where=step.where)
    await asyncio.sleep(step.after_s)
    started = time.monotonic()
    await strike()
    return time.monotonic() - started


def _said(words: Path, script: str) -> float:
    return script.count("say S") * speech_seconds(words)


# --- the application killed -----------------------------------------------------------------------------
KILLS = [
    # step, what the caller does, cases expected
    (GREETING, SPEAKS_LATER, 1),
    (MENU, SPEAKS_LATER, 1),
    (MENU, SILENT, 0),
    (KEY, REPORTS, 1),
    (INTRO, REPORTS, 1),
    (MESSAGE, REPORTS_AT_LENGTH, 1),
    (AFTER_HASH, REPORTS, 1),
    (READ_BACK, REPORTS, 1),
]


@pytest.mark.parametrize(
    ("step", "script", "expected"),
    KILLS,
    ids=[f"{s.name}-{'silent' if c == SILENT else 'speaks'}" for s, c, _ in KILLS],
)
async def test_the_application_killed_at_any_step_loses_no_word(
    asterisk: Settings, words: Path, serving: PlatformProcess, step: Step, script: str, expected: int
) -> None:
    # Expected: StasisStart once for the caller; `hotline serve` killed (SIGKILL) at the step (no
    # StasisEnd: Asterisk keeps the caller in the application and goes on recording them); started
    # again, it adopts the call (call.started resumed=True): before the tone an apology and the
    # tone, after it the message goes on, after '#' or in the read-back the case number read again.
    # The far end hangs up after the number. One case with all the words, or none for a caller
    # who never chose and said nothing.
    caller = _caller("0", KILLS.index((step, script, expected)))
    platform = serving
    if platform.proc is None or platform.proc.poll() is not None:
        platform.start()
    await platform.ready()
    async with AriObserver(asterisk).running() as ari:
        since = len(ari.events)
        call = asyncio.ensure_future(place_call(asterisk, "12345", script.replace(" S", f" {words}"), caller=caller))
        await _strike_at(ari, step, since, lambda: asyncio.to_thread(platform.kill))
        platform.start()
        back_s = await platform.ready()
        result = await call
    assert result["answered"], result["timeline"]
    found = await until_cases(asterisk.sqlalchemy_url, caller, timeout=30 if expected else 8)
    assert len(found) == expected, f"{expected} case(s) for the caller, got {len(found)}: {result['timeline']}"
    assert await in_stasis(asterisk) == []
    if expected:
        assert result["ended_by"] == "far end", result["timeline"]  # thanked with their number
        case, recordings = found[0]
        assert case.line_number == "12345" and case.call_back is None
        said = _said(words, script)
        kept = speech_seconds(Path(recordings[0].path))
        assert len(recordings) == 1 and said * 0.85 <= kept <= said + 1.0, (kept, said)
    log = platform.log.read_text()
    assert "adopting call" in log and caller not in log  # numbers never in the log
    print(f"{step.name}: platform back in {back_s:.1f} s; {len(found)} case(s)")


# --- Asterisk restarted -----------------------------------------------------------------------------------
ASTERISK_STOPS = [
    # step, what the caller does, cases expected, marked call back, least voice kept (s), how it stops
    (GREETING, SPEAKS_LATER, 0, False, 0.0, "stop"),
    (MENU, SPEAKS_LATER, 0, False, 0.0, "stop"),
    # the key as soon as the platform has taken it (Asterisk dying between the key and that, a few
    # milliseconds, takes the choice with it: only the caller's words, if any, are left)
    (Step("key", "bus:ivr.report", lambda _: True, 0.0), REPORTS, 1, True, 0.0, "stop"),
    (INTRO, REPORTS, 1, True, 0.3, "stop"),
    (MESSAGE, REPORTS_AT_LENGTH, 1, True, 2.0, "stop"),
    (MESSAGE, REPORTS_AT_LENGTH_THEN_HANGS_UP, 1, True, 1.5, "kill"),
    (AFTER_HASH, REPORTS, 1, False, 2.5, "stop"),
    (READ_BACK, REPORTS, 1, False, 2.5, "stop"),
]


@pytest.mark.parametrize(
    ("step", "script", "expected", "call_back", "least_voice_s", "how"),
    ASTERISK_STOPS,
    ids=[f"{s.name}-{how}" for s, _, _, _, _, how in ASTERISK_STOPS],
)
async def test_asterisk_restarted_at_any_step_keeps_what_the_caller_said(
    asterisk: Settings,
    words: Path,
    step: Step,
    script: str,
    expected: int,
    call_back: bool,
    least_voice_s: float,
    how: str,
) -> None:
    # Expected: the caller's call is cut at the step (the far end hangs up, or the network goes
    # silent when Asterisk is killed); ari.disconnected, then ari.connected when Asterisk is back;
    # the recording keeper's sweep finds the tape Asterisk stored with its facts and makes the case
    # (recording.stored), or throws away the tape of a caller who never chose and said nothing
    # (recording.discarded). Words cut short by the restart: the case is marked "call back".
    caller = _caller("1", ASTERISK_STOPS.index((step, script, expected, call_back, least_voice_s, how)))
    proc = asterisk_process(asterisk)
    _serving_stopped()
    async with running_platform(asterisk) as platform:
        platform.stasis.sweep_interval_s = 2.0  # the production sweep runs every 30 s
        async with AriObserver(asterisk).running() as ari:
            since = len(ari.events)
            call = asyncio.ensure_future(
                place_call(asterisk, "12345", script.replace(" S", f" {words}"), caller=caller, timeout=120)
            )

            async def stop() -> None:
                if how == "kill":
                    pid = proc.pid()
                    assert pid is not None
                    os.kill(pid, signal.SIGKILL)
                    for _ in range(100):
                        if proc.pid() is None:
                            break
                        await asyncio.sleep(0.05)
                else:
                    await asyncio.to_thread(proc.stop)

            try:
                with platform.bus.subscribe() as bus:
                    await _strike_at(ari, step, since, stop, bus)
            finally:
                await asyncio.to_thread(proc.start, lines_book(asterisk), prompts_dir(asterisk))
        await asyncio.wait_for(platform.stasis.ready.wait(), 30)
        result = await call
        assert result["answered"], result["timeline"]
        found = await until_cases(asterisk.sqlalchemy_url, caller, timeout=40 if expected else 10)
        if not expected:
            await asyncio.sleep(3)  # the sweep has had its turn: still nothing
            found = await asyncio.to_thread(cases_of, asterisk.sqlalchemy_url, caller)
        assert len(found) == expected, f"{expected} case(s) for the caller, got {len(found)}: {result['timeline']}"
        if expected:
            case, recordings = found[0]
            assert (case.call_back is not None) == call_back, case.call_back
            kept = speech_seconds(Path(recordings[0].path)) if recordings else 0.0
            said = _said(words, script)
            assert least_voice_s <= kept <= said + 1.0, (kept, said, case.call_back)
            print(f"{step.name} ({how}): {kept:.1f} s of the {said:.1f} s said kept; call back: {case.call_back}")


# --- a full disk ------------------------------------------------------------------------------------------
async def test_a_full_disk_still_leaves_the_caller_a_case_to_call_back(asterisk: Settings, words: Path) -> None:
    # Expected: Asterisk's recording folder has room for about a second of audio (a tmpfs of 24 kB);
    # the caller presses 1 and talks; the tape stops early (RecordingFinished while the call goes
    # on), the IVR says "your message may be incomplete, we will call you back" and reads the case
    # number; one case marked call back, holding what could be written.
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    layout = resolve_layout(asterisk.asterisk)
    folder = layout.host_path(layout.dir("spool")) / "recording"
    folder.mkdir(parents=True, exist_ok=True)
    owner = folder.stat()
    caller = "13710020001"
    _serving_stopped()
    mount = ["mount", "-t", "tmpfs", "-o", f"size=24k,uid={owner.st_uid},gid={owner.st_gid}", "tmpfs", str(folder)]
    await asyncio.to_thread(subprocess.run, mount, check=True)
    try:
        async with running_platform(asterisk) as platform, AriObserver(asterisk).running() as ari:
            with platform.bus.subscribe() as sub:
                result = await place_call(
                    asterisk, "12345", REPORTS.replace(" S", f" {words}"), caller=caller, timeout=90
                )
                # this call's recording (the sweep at start also stores taps of earlier tests'
                # calls, whose audio the new mount hides: "Asterisk kept no audio", rightly)
                await wait_for(sub, "ivr.case-opened", timeout=20)
        assert result["ended_by"] == "far end", result["timeline"]
        assert any(e.raw["playback"]["media_uri"].endswith("/call-back") for e in ari.of_type("PlaybackStarted"))
        found = await until_cases(asterisk.sqlalchemy_url, caller, timeout=20)
        assert len(found) == 1 and found[0][0].call_back is not None, [(c.number, c.call_back) for c, _ in found]
        why = str(found[0][0].call_back)
        assert "disk" in why or "could not start" in why, why
        print(f"full disk: case {found[0][0].number}, call back: {found[0][0].call_back}")
    finally:
        await asyncio.to_thread(subprocess.run, ["umount", "-l", str(folder)], check=False)
