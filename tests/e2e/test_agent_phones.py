"""Agents' desk phones register with the credentials the platform generated for them.

Expected: after `hotline asterisk reload`, a real pjsua2 phone (from 127.0.0.2, a desk, not the
carrier address) registers as the agent's extension with the generated password (200, ARI shows
the endpoint online); the same phone with a wrong password is refused (401/403) and stays offline.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

from casebook.auth.policy import Actor, Role
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.helpers import ROOT, Phone, agent_with_phone, place_call, settings_env, wait_for

ADMIN = Actor("admin", Role.ADMIN)


async def _register(
    settings: Settings, extension: str, password: str, *, while_registered: Any = None
) -> tuple[int, dict[str, object]]:
    """Register a pjsua2 phone for 25 s (`hotline register-phone`); run `while_registered` meanwhile."""
    env = {**settings_env(settings), "HOTLINE_SIP_PASSWORD": password}
    argv = [sys.executable, "-m", "hotline", "register-phone", extension, "--hold", "25"]
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if while_registered is not None:
        await while_registered()
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, err.decode()[-2000:]
    registration = next(json.loads(line) for line in lines if '"registration"' in line)
    return int(proc.returncode or 0), registration


async def test_an_agents_phone_registers_with_its_generated_password_and_a_wrong_one_is_refused(
    platform: Platform, asterisk: Settings
) -> None:
    sip_password = agent_with_phone(platform.sessions, "desk-li", "1001")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))

    code, wrong = await _register(asterisk, "1001", sip_password + "x")
    assert code == 2 and wrong["registered"] is False and wrong["status_code"] in (401, 403)
    seen: list[str] = []

    async def watch() -> None:
        for _ in range(220):  # the phone starts, registers, then answers Asterisk's qualify (slow when cold)
            seen.append(str((await platform.ari.request("GET", "/endpoints/PJSIP/1001"))["state"]))
            if seen[-1] == "online":
                return
            await asyncio.sleep(0.1)

    code, right = await _register(asterisk, "1001", sip_password, while_registered=watch)
    assert code == 0 and right["registered"] is True and right["status_code"] == 200, right
    assert seen and seen[-1] == "online", seen


async def test_a_caller_pressing_3_reaches_the_available_agent_and_not_the_paused_one(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: agent.login x2, agent.paused (desk-b), ivr.transfer (intake); desk-a's phone rings and
    # answers (incoming, answered), desk-b's never rings; AMI AgentConnect for desk-a
    passwords = {}
    for name, extension in (("desk-a", "1002"), ("desk-b", "1003")):
        passwords[name] = agent_with_phone(platform.sessions, name, extension)
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone_a = await Phone.start(asterisk, "1002", passwords["desk-a"], hold=40)
    phone_b = await Phone.start(asterisk, "1003", passwords["desk-b"], hold=40)
    connected: list[dict[str, Any]] = []
    platform.ami.on_event("AgentConnect", lambda _m, msg: connected.append(dict(msg)))
    agent_a, agent_b = Actor("desk-a", Role.INTAKE_AGENT), Actor("desk-b", Role.INTAKE_AGENT)
    log: list = []
    try:
        with platform.bus.subscribe() as sub:
            assert (await platform.state["desk"].login(agent_a)).status == "available"
            await platform.state["desk"].login(agent_b)
            assert (await platform.state["desk"].pause(agent_b, "break")).status == "paused"
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; wait 12; hangup", caller="13912340010")
            )
            await wait_for(sub, "ivr.transfer", log=log, timeout=30)
            assert (await phone_a.next_line(20))["event"] == "incoming"
            assert (await phone_a.next_line(10))["event"] == "answered"
            await call
        assert "incoming" not in phone_b.events()
        assert connected and connected[0].get("MemberName") == "desk-a"
        names = [e.name for e in log]
        assert names.count("agent.login") == 2 and names.count("agent.paused") == 1
    finally:
        await platform.state["desk"].logout(agent_a)
        await platform.state["desk"].logout(agent_b)
        await phone_a.stop()
        await phone_b.stop()


async def test_an_agent_in_the_queues_without_a_registered_phone_is_not_counted_available_anywhere(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: agent.login (phone_online false); the IVR's question "anyone to answer?" says no
    # (callers are offered a message); the desk and the wallboard show the phone offline, not available
    agent_with_phone(platform.sessions, "desk-unplugged", "1004")  # the phone is made, never registered
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    agent = Actor("desk-unplugged", Role.INTAKE_AGENT)
    try:
        state = await platform.state["desk"].login(agent)
        assert state.queues and state.phone_online is False
        assert await platform.agents.agents_available("intake") is False
        board = platform.state["wallboard"].snapshot()
        seen = next(a for a in board["agents"] if a["username"] == "desk-unplugged")
        assert seen["status"] == "offline", seen
        assert board["now"]["agents"].get("available", 0) == 0, board["now"]["agents"]
    finally:
        await platform.state["desk"].logout(agent)
