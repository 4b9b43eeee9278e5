"""Helpers for end-to-end tests: real SIP callers, event logs, and what a caller heard."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import wave
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.errors import Conflict
from casebook.db.models import Caller, Case, Recording
from common.bus import PlatformEvent, Subscription
from common.paths import prompts_dir
from common.settings import Settings
from hotline.services import asterisk_process
from telephony.ari.events import AriEvent
from telephony.ari.socket import AriEventSocket

ROOT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    for name in (
        "environment",
        "data_dir",
        "database_url",
        "lines_file",
        "asterisk_instance",
        "sip_bind",
        "sip_port",
        "ari_port",
        "ami_port",
        "asterisk_host",
    ):
        value = getattr(settings, name)
        if value is not None:
            env[f"HOTLINE_{name.upper()}"] = str(value)
    env["HOTLINE_ARI_PASSWORD"] = settings.secret("ari_password")
    env["HOTLINE_AMI_PASSWORD"] = settings.secret("ami_password")
    return env


async def place_call(
    settings: Settings,
    number: str,
    script: str,
    *,
    caller: str = "13800138000",
    record: Path | None = None,
    timeout: float = 180,
) -> dict[str, Any]:
    """Place a real SIP call with `hotline call` (pjsua2) and return its JSON result."""
    argv = [sys.executable, "-m", "hotline", "call", number, "--from", caller, "--script", script, "--json"]
    if record is not None:
        argv += ["--record", str(record)]
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=settings_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(f"hotline call printed no result (rc={proc.returncode}): {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def prompt_seconds(settings: Settings, name: str, language: str = "zh") -> float:
    with wave.open(str(prompts_dir(settings) / language / f"{name}.wav")) as wav:
        return wav.getnframes() / wav.getframerate()


def notice_seconds(settings: Settings, language: str = "zh") -> float:
    """The recording notice a caller who keyed through the greeting hears before the queue (the
    notice is never skipped): what a script pressing 3 or 0 early waits more before the queue."""
    return prompt_seconds(settings, "recording-notice", language) if settings.record_conversations else 0.0


def greeting_seconds(settings: Settings, code: str = "mayor", language: str = "zh") -> float:
    """A line's greeting as callers hear it before the menu: the greeting, then the notice that
    the call is recorded (where conversations are)."""
    notice = prompt_seconds(settings, "recording-notice", language) if settings.record_conversations else 0.0
    return prompt_seconds(settings, f"greeting-{code}", language) + notice


# --- platform events ----------------------------------------------------------------------------
async def wait_for(
    sub: Subscription, name: str, *, timeout: float = 60, log: list[PlatformEvent] | None = None, **match: object
) -> PlatformEvent:
    """Read events until one called `name` (with matching data) arrives; keep all read in `log`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        try:
            if left <= 0:
                raise TimeoutError
            event = await sub.get(timeout=left)
        except TimeoutError:
            seen = [(e.name, e.data) for e in log or []]
            raise AssertionError(f"no {name} {match} within {timeout} s; seen: {seen}") from None
        if log is not None:
            log.append(event)
        if event.name == name and all(event.data.get(k) == v for k, v in match.items()):
            return event


async def wait_for_all(sub: Subscription, names: Iterable[str], log: list[PlatformEvent], timeout: float = 30) -> None:
    """Read events into `log` until each of `names` is among them (in any order), then take
    what else is already queued: an event that should not come would be in `log` by then."""
    for name in names:
        if not any(e.name == name for e in log):
            await wait_for(sub, name, log=log, timeout=timeout)
    drain(sub, log)


async def eventually(check: Callable[[], Any], what: str, *, timeout: float = 10.0, every: float = 0.2) -> Any:
    """Call `check` (in a thread: it may read the database) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {found!r})")
        await asyncio.sleep(every)


def drain(sub: Subscription, log: list[PlatformEvent]) -> list[PlatformEvent]:
    while not sub.queue.empty():
        log.append(sub.queue.get_nowait())
    return log


def assert_events(log: Iterable[PlatformEvent], expected: Mapping[str, int], call_id: str | None = None) -> None:
    """Each named event occurred exactly this many times (for this call, when given)."""
    counts = Counter(e.name for e in log if call_id is None or e.call_id == call_id)
    wrong = {name: (counts.get(name, 0), want) for name, want in expected.items() if counts.get(name, 0) != want}
    assert not wrong, f"event counts (seen, expected): {wrong}; all: {dict(counts)}"


# --- Asterisk's own events ------------------------------------------------------------------------
class AriObserver:
    """A second ARI application subscribed to everything: Asterisk's view of the test's calls."""

    def __init__(self, settings: Settings) -> None:
        self.events: list[AriEvent] = []
        self.socket = AriEventSocket(
            settings.ari_url, settings.ari_user, settings.secret("ari_password"), "test-observer", subscribe_all=True
        )

    async def _on(self, event: AriEvent) -> None:
        self.events.append(event)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[AriObserver]:
        task = asyncio.create_task(self.socket.run(self._on))
        await asyncio.wait_for(self.socket.connected.wait(), 10)
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def until(
        self, kind: str, timeout: float, *, since: int = 0, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> AriEvent:
        """The first event of `kind` (from the `since`-th on) for which `where(raw JSON)` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = since
        while loop.time() < deadline:
            for event in self.events[seen:]:
                if event.type == kind and (where is None or where(event.raw)):
                    return event
            seen = len(self.events)
            await asyncio.sleep(0.02)
        raise AssertionError(f"Asterisk raised no {kind} in {timeout} s; seen {[e.type for e in self.events[since:]]}")

    def of_type(self, kind: str) -> list[AriEvent]:
        return [e for e in self.events if e.type == kind]

    def count(self, kind: str, **match: object) -> int:
        return sum(1 for e in self.of_type(kind) if all(_get(e.raw, k) == v for k, v in match.items()))


def _get(raw: dict[str, Any], dotted: str) -> object:
    value: Any = raw
    for part in dotted.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# --- audio ------------------------------------------------------------------------------------------
def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
        width = wav.getsampwidth()
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit samples")
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def envelope(samples: np.ndarray, rate: int, frame_s: float = 0.02) -> np.ndarray:
    step = max(1, int(rate * frame_s))
    usable = len(samples) // step * step
    frames = samples[:usable].reshape(-1, step)
    return np.log10(np.mean(frames**2, axis=1) + 1e-7)


def speech_seconds(path: Path, threshold_db: float = -45.0) -> float:
    """Seconds of a WAV louder than `threshold_db` dBFS (20 ms frames): 0 for silence."""
    samples, rate = read_wav(path)
    env = envelope(samples, rate) * 10
    return float(np.sum(env > threshold_db) * 0.02)


def loud_times(samples: np.ndarray, rate: int, threshold_db: float = -40.0) -> np.ndarray:
    """Start times (s) of the 20 ms frames louder than `threshold_db` dBFS."""
    return np.nonzero(envelope(samples, rate) * 10 > threshold_db)[0] * 0.02


def best_match(heard: Path, prompt: Path) -> float:
    """How well a prompt's loudness envelope matches somewhere in what was heard (0..1)."""
    h_samples, h_rate = read_wav(heard)
    p_samples, p_rate = read_wav(prompt)
    h = envelope(h_samples, h_rate)
    p = envelope(p_samples, p_rate)
    if len(h) < len(p) or len(p) == 0:
        return 0.0
    p = (p - p.mean()) / (p.std() + 1e-9)
    best = -1.0
    for offset in range(0, len(h) - len(p) + 1):
        window = h[offset : offset + len(p)]
        w = (window - window.mean()) / (window.std() + 1e-9)
        best = max(best, float(np.dot(w, p) / len(p)))
    return best


# --- the platform as its own process, and the cases it made ------------------------------------------
def cases_of(database_url: str, caller: str) -> list[tuple[Case, list[Recording]]]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            cases = list(session.scalars(select(Case).join(Caller).where(Caller.phone == caller)))
            return [
                (case, list(session.scalars(select(Recording).where(Recording.case_id == case.id)))) for case in cases
            ]
    finally:
        engine.dispose()


async def until_cases(database_url: str, caller: str, timeout: float) -> list[tuple[Case, list[Recording]]]:
    """The caller's cases once one has its recording (or what there is when the time is up)."""
    deadline = time.monotonic() + timeout
    found: list[tuple[Case, list[Recording]]] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the database may still be starting
            found = await asyncio.to_thread(cases_of, database_url, caller)
            if found and all(recordings for _, recordings in found):
                return found
        await asyncio.sleep(0.5)
    return found


async def in_stasis(settings: Settings) -> list[str]:
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


# --- agents' desk phones ---------------------------------------------------------------------------
class JsonLinesProcess:
    """A pjsua2 process of ours (`hotline register-phone`, `hotline citizen`), its JSON lines read as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []

    async def next_line(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not raw:
                raise AssertionError(f"the {type(self).__name__} process ended")
            if raw.startswith(b"{"):
                self.lines.append(json.loads(raw))
                return self.lines[-1]

    def events(self) -> list[str]:
        return [str(line["event"]) for line in self.lines]

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


class Phone(JsonLinesProcess):
    """A desk phone process (`hotline register-phone --hold`), its JSON lines read as they come."""

    @classmethod
    async def start(
        cls,
        settings: Settings,
        extension: str,
        password: str,
        hold: float,
        *,
        answer_after: float = 1,
        talk: float = 3,
        say: Path | None = None,
        record: Path | None = None,
        hold_at: float = 0.0,
        hold_for: float = 5.0,
    ) -> Phone:
        """`say`: what the agent says once a call is answered (a WAV); `record`: where what the
        phone hears on its first call is kept (complete once the phone process ends)."""
        await until_known(settings, extension)
        env = {**settings_env(settings), "HOTLINE_SIP_PASSWORD": password}
        argv = [sys.executable, "-m", "hotline", "register-phone", extension, "--hold", str(hold)]
        argv += ["--answer-after", str(answer_after), "--talk", str(talk)]
        argv += ["--say", str(say)] if say is not None else []
        argv += ["--record", str(record)] if record is not None else []
        argv += ["--hold-at", str(hold_at), "--hold-for", str(hold_for)] if hold_at > 0 else []
        proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=subprocess.PIPE)
        phone = cls(proc)
        registration = await phone.next_line(30)
        assert registration["event"] == "registration" and registration["registered"], registration
        return phone


async def until_known(settings: Settings, extension: str, timeout: float = 10.0) -> None:
    """Wait until Asterisk has loaded this phone's endpoint: `core reload` only asks for a reload,
    and a phone registering before it is done meets the old configuration ("Failed to
    authenticate") and may stay unreachable."""
    process = asterisk_process(settings)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        shown = await asyncio.to_thread(process.cli, f"pjsip show endpoint {extension}")
        if "Unable to find" not in shown and extension in shown:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"Asterisk did not load the endpoint {extension} in {timeout} s")


async def until_reachable(ami: Any, extension: str, timeout: float = 45.0) -> None:
    """Wait until the queues see this agent's phone as reachable (a phone that has just registered
    is "unavailable" until Asterisk's first qualify answers; the IVR sends callers to a message
    while no logged-in agent's phone is reachable). A first qualify lost on a busy machine would
    be retried only after `qualify_frequency` (30 s): so Asterisk is asked to qualify again every
    few seconds (AMI PJSIPQualify), as an administrator would. 45 s: a loaded CI once saw a phone
    stay "unavailable" for the 20 s this waited before (cause not found: the failure message now
    carries Asterisk's view of the contact)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    next_qualify = loop.time() + 3.0
    states: list[int] = []
    while loop.time() < deadline:
        states = [m.status for m in await ami.queue_members() if m.interface.endswith(f"/{extension}")]
        if states and all(state not in (4, 5) for state in states):
            return
        if loop.time() >= next_qualify:
            next_qualify = loop.time() + 4.0
            with contextlib.suppress(Exception):  # an endpoint not known yet: asked again next time
                await ami.send({"Action": "PJSIPQualify", "Endpoint": extension})
        await asyncio.sleep(0.2)
    # what Asterisk itself says of the phone's contacts, for whoever reads the failure (AMI's
    # Command action is not among the classes the platform's AMI user may use)
    contacts: list[str] = []
    with contextlib.suppress(Exception):
        reply = await ami.send({"Action": "PJSIPShowContacts"}, as_list=True)
        for message in reply if isinstance(reply, list) else [reply]:
            if message.get("Event") == "ContactList" and message.get("Aor") == extension:
                fields = ("Uri", "Status", "RoundtripUsec", "ViaAddr", "RegServer", "QualifyFrequency")
                contacts.append(", ".join(f"{key}={message.get(key)}" for key in fields))
    raise AssertionError(
        f"the phone {extension} did not become reachable in {timeout} s (states {states}); "
        f"Asterisk's contacts: {contacts or 'none'}"
    )


def person(sessions: Any, name: str, role: Role, password: str = "a-long-password") -> None:
    """A user of the platform; one made already (a test run again, decision 0019) is kept."""
    with contextlib.suppress(Conflict):
        AuthService(sessions).create_user(name, role, password=password)


def agent_with_phone(sessions: Any, name: str, extension: str, password: str = "a-long-password") -> str:
    """An intake agent in the intake queue with a desk phone: the phone's SIP password. A test run
    again (decision 0019) finds the agent made already and gets a new password instead."""
    directory = AgentDirectory(sessions)
    try:
        AuthService(sessions).create_user(name, Role.INTAKE_AGENT, password=password)
    except Conflict:
        return directory.new_password(Actor("admin", Role.ADMIN), extension).sip_password
    return directory.create(Actor("admin", Role.ADMIN), name, extension, {"intake": 0}).sip_password
