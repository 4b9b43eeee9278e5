"""A supervisor on an agent's call, from the wallboard's actions (issue 19): whisper is heard by the
agent and not by the caller, barge by both, measured at both ends.

Real parts: Asterisk's queue and ChanSpy, pjsua2 desk phones for the agent (recording what it
hears) and for two supervisors (each answering and playing a tone of its own: 700 Hz for the one
who whispers, 1500 Hz for the one who barges), a pjsua2 caller recording what it hears.

Expected: ivr.transfer; queue.answered; supervisor.joined (mode listen: the first supervisor's
phone rings), supervisor.joined (mode whisper, switched: the same call moved, the phone does not
ring again), then supervisor.joined (mode barge, the second supervisor); the 700 Hz tone in the
agent's ear only from the switch to whisper on (not while listening) and never in the caller's,
the 1500 Hz tone in both. A supervisor asking while the agent is not on a call, or without a
phone, is told why.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import numpy as np
import pytest

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from common.paths import prompts_dir
from common.settings import Settings
from hotline.features.wallboard.supervision import SupervisionRefused
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from telephony.calls.audio import repaired_wav
from tests.e2e.helpers import Phone, agent_with_phone, person, place_call, until_reachable, wait_for
from tests.speech import tone

ADMIN = Actor("admin", Role.ADMIN)


def tone_seconds(path: Path, hertz: int) -> float:
    """Seconds of a recording where a tone of `hertz` is what is heard (50 ms frames: most of the
    frame's energy within 40 Hz of it, and louder than -45 dBFS)."""
    import io
    import wave

    with wave.open(io.BytesIO(repaired_wav(path.read_bytes()))) as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    step = rate // 20
    count = 0
    for start in range(0, len(samples) - step, step):
        frame = samples[start : start + step] * np.hanning(step)
        spectrum = np.abs(np.fft.rfft(frame)) ** 2
        freqs = np.fft.rfftfreq(step, 1 / rate)
        total = spectrum.sum()
        loud = 10 * np.log10(np.mean(samples[start : start + step] ** 2) + 1e-12) > -45
        if loud and total > 0 and spectrum[np.abs(freqs - hertz) <= 40].sum() / total > 0.6:
            count += 1
    return count * 0.05


def _supervisor(platform: Platform, name: str, extension: str) -> str:
    person(platform.sessions, name, Role.SUPERVISOR)
    directory = AgentDirectory(platform.sessions)
    if directory.phone_of(name) is not None:
        return directory.new_password(ADMIN, extension).sip_password
    return directory.create(ADMIN, name, extension, {}).sip_password


async def test_whisper_is_heard_by_the_agent_only_and_barge_by_both(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    stamp = time.strftime("%H%M%S")
    agent_name, agent_ext = f"spied-{stamp}", f"6{stamp[-4:]}"
    whisperer, whisper_ext = f"sup-w-{stamp}", f"7{stamp[-4:]}"
    barger, barge_ext = f"sup-b-{stamp}", f"8{stamp[-4:]}"
    agent_password = agent_with_phone(platform.sessions, agent_name, agent_ext)
    passwords = {whisper_ext: _supervisor(platform, whisperer, whisper_ext)}
    passwords[barge_ext] = _supervisor(platform, barger, barge_ext)
    agent = Actor(agent_name, Role.INTAKE_AGENT)
    supervision = platform.state["supervision"]
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    heard_by_agent, heard_by_caller = tmp_path / "agent.wav", tmp_path / "caller.wav"
    tones = {whisper_ext: tone(tmp_path / "w.wav", 700, 12.0), barge_ext: tone(tmp_path / "b.wav", 1500)}
    phones = [await Phone.start(asterisk, agent_ext, agent_password, hold=70, talk=32, record=heard_by_agent)]
    for ext, talk in ((whisper_ext, 12), (barge_ext, 5)):
        phones.append(
            await Phone.start(asterisk, ext, passwords[ext], hold=70, answer_after=0.5, talk=talk, say=tones[ext])
        )
    log: list = []
    try:
        await platform.state["desk"].login(agent)
        await until_reachable(platform.ami, agent_ext)
        with pytest.raises(SupervisionRefused, match="not on a call"):
            await supervision.join(Actor(whisperer, Role.SUPERVISOR), agent_name, "whisper")
        with platform.bus.subscribe() as sub:
            script = "wait 1; keys 3; until-hangup 60"
            caller = place_call(asterisk, "12345", script, caller="13912345602", record=heard_by_caller)
            call = asyncio.create_task(caller)
            await wait_for(sub, "queue.answered", timeout=40, log=log)
            await asyncio.sleep(2)
            await supervision.join(Actor(whisperer, Role.SUPERVISOR), agent_name, "listen")
            assert (await phones[1].next_line(30))["event"] == "incoming"
            await _until(phones[1], "answered", 10)
            await asyncio.sleep(5)  # listening: the tone is heard by nobody
            moved = await supervision.join(Actor(whisperer, Role.SUPERVISOR), agent_name, "whisper")
            assert moved["switched"] is True
            lines = await _until(phones[1], "hung-up", 30)
            assert "incoming" not in lines, lines  # not rung a second time
            await asyncio.sleep(1)
            await supervision.join(Actor(barger, Role.SUPERVISOR), agent_name, "barge")
            assert (await phones[2].next_line(30))["event"] == "incoming"
            await _until(phones[2], "hung-up", 30)
            await call
            await wait_for(sub, "queue.completed", timeout=30, log=log)
            joined = [e.data["mode"] for e in log if e.name == "supervisor.joined"]
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(agent)
        for phone in phones:
            await phone.stop()
    assert joined == ["listen", "whisper", "barge"], joined
    whisper_agent, whisper_caller = tone_seconds(heard_by_agent, 700), tone_seconds(heard_by_caller, 700)
    barge_agent, barge_caller = tone_seconds(heard_by_agent, 1500), tone_seconds(heard_by_caller, 1500)
    # 12 s of tone, the first 5 while listening: the agent hears only what follows the switch
    assert 1.5 < whisper_agent < 9.0 and whisper_caller < 0.3, (whisper_agent, whisper_caller)
    assert barge_agent > 1.5 and barge_caller > 1.5, (barge_agent, barge_caller)
    print(f"whisper (after 5 s of listening) at the agent {whisper_agent:.1f} s, at the caller {whisper_caller:.1f} s")


async def _until(phone: Phone, event: str, timeout: float) -> list[str]:
    """The phone's events up to this one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = []
    while (line := await phone.next_line(deadline - loop.time()))["event"] != event:
        seen.append(str(line["event"]))
    return seen
