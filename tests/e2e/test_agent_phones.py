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

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.helpers import ROOT, settings_env

ADMIN = Actor("admin", Role.ADMIN)


async def _register(
    settings: Settings, extension: str, password: str, *, while_registered: Any = None
) -> tuple[int, dict[str, object]]:
    """Register a pjsua2 phone for 4 s (`hotline register-phone`); run `while_registered` meanwhile."""
    env = {**settings_env(settings), "HOTLINE_SIP_PASSWORD": password}
    argv = [sys.executable, "-m", "hotline", "register-phone", extension, "--hold", "4"]
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if while_registered is not None:
        await while_registered()
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, err.decode()[-2000:]
    return int(proc.returncode or 0), json.loads(lines[-1])


async def test_an_agents_phone_registers_with_its_generated_password_and_a_wrong_one_is_refused(
    platform: Platform, asterisk: Settings
) -> None:
    AuthService(platform.sessions).create_user("desk-li", Role.INTAKE_AGENT, password="a-long-password")
    made = AgentDirectory(platform.sessions).create(ADMIN, "desk-li", "1001", {"intake": 0})
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))

    code, wrong = await _register(asterisk, "1001", made.sip_password + "x")
    assert code == 2 and wrong["registered"] is False and wrong["status_code"] in (401, 403)
    seen: list[str] = []

    async def watch() -> None:
        for _ in range(40):
            seen.append(str((await platform.ari.request("GET", "/endpoints/PJSIP/1001"))["state"]))
            if seen[-1] == "online":
                return
            await asyncio.sleep(0.1)

    code, right = await _register(asterisk, "1001", made.sip_password, while_registered=watch)
    assert code == 0 and right["registered"] is True and right["status_code"] == 200, right
    assert seen and seen[-1] == "online", seen
