"""Agents' calls as the caller and the agents feel them (issue 19): recording, hold, transfer.

Real parts, as production runs them: the bench's own Asterisk (queues, MixMonitor, music on
hold), the platform in this process with live speech on, PostgreSQL, pjsua2 desk phones for the
agents and a pjsua2 caller (`hotline call`) that records what it hears. Each round places two calls:

1. The caller presses 3; agent A answers and at once says a 2-second 700 Hz tone, puts the call
   on hold 5 s after answering (the phone's hold key: a re-INVITE) for 4 s, and hangs up.
   - recording start after answer: how much of A's first words the stored recording lacks
     (2 s of tone said, the agent's side of the stored conversation measured);
   - answer -> the caller hears the agent: how much of the tone the caller lacks;
   - hold key -> music at the caller: from the hold (5 s after the tone began, on the caller's own
     recording) to the first loud frame that is not the tone.
2. The caller presses 3; agent C answers and says a 700 Hz tone; 3 s later the bench asks the desk
   to transfer the caller to agent B (as the agent page does); B's phone answers after 0.5 s
   and says a 1500 Hz tone:
   - transfer request -> B's phone rings (the phone's own clock: the machine's monotonic clock);
   - B answers -> the caller hears B (the tones place the caller's recording on that clock).

    .venv/bin/python -m bench.agent_calls --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import platform as host
import statistics
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from bench.ivr_load import bench_settings, start_bench_asterisk
from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from common.bus import Subscription
from common.paths import prompts_dir
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from telephony.calls.audio import repaired_wav
from tests.e2e.helpers import Phone, place_call, wait_for
from tests.speech import tone

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN = Actor("admin", Role.ADMIN)
FRAME_S = 0.02
TONE_S, HOLD_AT_S, HOLD_FOR_S = 2.0, 5.0, 4.0


def frames(path: Path, hertz: int) -> tuple[np.ndarray, np.ndarray]:
    """Per 20 ms frame of a WAV: loud (above -45 dBFS), and mostly this tone (60 % of the energy
    within 40 Hz of it)."""
    with wave.open(io.BytesIO(repaired_wav(path.read_bytes()))) as wav:
        rate, data = wav.getframerate(), wav.readframes(wav.getnframes())
    samples = np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0
    step = int(rate * FRAME_S)
    count = max(0, len(samples) // step)
    loud, toned = np.zeros(count, bool), np.zeros(count, bool)
    freqs = np.fft.rfftfreq(step, 1 / rate)
    for i in range(count):
        frame = samples[i * step : (i + 1) * step]
        loud[i] = 10 * np.log10(np.mean(frame**2) + 1e-12) > -45
        spectrum = np.abs(np.fft.rfft(frame * np.hanning(step))) ** 2
        total = spectrum.sum()
        toned[i] = bool(loud[i] and total > 0 and spectrum[np.abs(freqs - hertz) <= 40].sum() / total > 0.6)
    return loud, toned


def first(mask: np.ndarray, after_s: float = 0.0) -> float | None:
    start = int(after_s / FRAME_S)
    hits = np.nonzero(mask[start:])[0]
    return None if len(hits) == 0 else (start + int(hits[0])) * FRAME_S


async def line_of(phone: Phone, event: str, timeout: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        line = await phone.next_line(deadline - loop.time())
        if line["event"] == event:
            return line


async def conversation_of(sub: Subscription, call_id: str) -> None:
    while (await wait_for(sub, "conversation.stored", timeout=60)).call_id != call_id:
        pass


async def recording_and_hold(platform: Platform, phone: Phone, agent: Actor, folder: Path, n: int) -> dict[str, Any]:
    heard = folder / f"hold-{n}.wav"
    with platform.bus.subscribe(50_000) as sub:
        call = asyncio.create_task(
            place_call(
                platform.settings, "12345", "wait 1; keys 3; until-hangup 60", caller=f"1390000{n:04d}", record=heard
            )
        )
        answered = await wait_for(sub, "queue.answered", timeout=40)
        await call
        await conversation_of(sub, answered.call_id)
    [conversation] = [c for c in platform.book.conversations.of_agent(agent.name) if c.call_id == answered.call_id]
    agent_side = Path(platform.book.conversations.audio_path(conversation.id, "agent", agent))
    _, recorded = frames(agent_side, 700)
    loud, toned = frames(heard, 700)
    tone_at = first(toned)
    out: dict[str, Any] = {"recording_lost_ms": round((TONE_S - recorded.sum() * FRAME_S) * 1000)}
    if tone_at is not None:
        out["caller_lost_ms"] = round((TONE_S - toned.sum() * FRAME_S) * 1000)
        held = tone_at + HOLD_AT_S
        music = first(loud & ~toned, held)
        if music is not None and music < held + HOLD_FOR_S:
            out["hold_to_music_ms"] = round((music - held) * 1000)
    return out


async def transfer(
    platform: Platform, c: Phone, b: Phone, agents: tuple[Actor, Actor], folder: Path, n: int
) -> dict[str, Any]:
    desk: Any = platform.state["desk"]
    heard = folder / f"transfer-{n}.wav"
    with platform.bus.subscribe(50_000) as sub:
        call = asyncio.create_task(
            place_call(
                platform.settings, "12345", "wait 1; keys 3; until-hangup 60", caller=f"1391000{n:04d}", record=heard
            )
        )
        await wait_for(sub, "queue.answered", timeout=40, member=agents[0].name)
        c_answered = await line_of(c, "answered", 10)
        await asyncio.sleep(3)
        asked = time.monotonic()
        await desk.transfer(agents[0], "agent", agents[1].name)
        rang = await line_of(b, "incoming", 20)
        b_answered = await line_of(b, "answered", 10)
        await call
    _, c_tone = frames(heard, 700)
    _, b_tone = frames(heard, 1500)
    out: dict[str, Any] = {"transfer_to_ring_ms": round((rang["at"] - asked) * 1000)}
    c_at, b_at = first(c_tone), first(b_tone)
    if c_at is not None and b_at is not None:
        # C's tone began when C answered (plus the way to the caller, the same for B)
        expected = c_at + (b_answered["at"] - c_answered["at"])
        out["answer_to_caller_hears_ms"] = round((b_at - expected) * 1000)
    return out


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
        "stdev": round(statistics.stdev(values)) if len(values) > 1 else 0,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="hotline-bench-agent-calls-"))
    db = f"hotline_bench_calls_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    settings = bench_settings(data).model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}", "desk_wrapup_max_s": 0.5}
    )
    asterisk = start_bench_asterisk(settings)
    platform = Platform(settings)
    platform.prepare()
    auth, directory = AuthService(platform.sessions), AgentDirectory(platform.sessions)
    people = {"a": ("bench-hold", "2101", {"intake": 0}), "c": ("bench-giver", "2102", {"intake": 0})}
    people["b"] = ("bench-taker", "2103", {})
    passwords = {}
    for key, (name, extension, skills) in people.items():
        auth.create_user(name, Role.INTAKE_AGENT, password="bench-password-1")
        passwords[key] = directory.create(ADMIN, name, extension, skills).sip_password
    asterisk_process(settings).reload(lines_book(settings), prompts_dir(settings))
    serving = asyncio.create_task(platform.serve(api=False))
    results: dict[str, list[float]] = {}
    phones: list[Phone] = []
    try:
        await asyncio.wait_for(platform.stasis.ready.wait(), 30)
        low, high = tone(data / "low.wav", 700, TONE_S), tone(data / "high.wav", 1500, TONE_S)
        a = await Phone.start(
            settings,
            "2101",
            passwords["a"],
            3600,
            answer_after=1,
            talk=12,
            say=low,
            hold_at=HOLD_AT_S,
            hold_for=HOLD_FOR_S,
        )
        c = await Phone.start(settings, "2102", passwords["c"], 3600, answer_after=1, talk=0, say=low)
        b = await Phone.start(settings, "2103", passwords["b"], 3600, answer_after=0.5, talk=5, say=high)
        phones = [a, b, c]
        actors = {key: Actor(name, Role.INTAKE_AGENT) for key, (name, _, _) in people.items()}
        desk: Any = platform.state["desk"]
        await desk.state(actors["b"])
        for n in range(args.rounds):
            await desk.login(actors["a"])
            await asyncio.sleep(2)
            for key, value in (await recording_and_hold(platform, a, actors["a"], data, n)).items():
                results.setdefault(key, []).append(value)
            await desk.logout(actors["a"])
            await desk.login(actors["c"])
            await asyncio.sleep(2)
            for key, value in (await transfer(platform, c, b, (actors["c"], actors["b"]), data, n)).items():
                results.setdefault(key, []).append(value)
            await desk.logout(actors["c"])
    finally:
        for phone in phones:
            await phone.stop()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await platform.close()
        asterisk.stop()
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return {
        "machine": f"{host.node()} {os.cpu_count()} cores",
        "rounds": args.rounds,
        "raw": results,
        **{key: summary(values) for key, values in results.items()},
    }


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        print(json.dumps(asyncio.run(run(args)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
