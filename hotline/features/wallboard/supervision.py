"""What a supervisor does from the wallboard's list of agents (issue 19): listen to an agent's
call, whisper to the agent, or join both (the supervisor's own phone rings: telephony/ami/spy.py);
pause an agent or sign them out of the queues (the desk's own actions, in the agent's name, with
the supervisor's name in the reason). Each is published (`supervisor.*`) and so in the call log.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable
from typing import Any

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from common.bus import EventBus, PlatformEvent
from hotline.ports import AgentsSupervised
from telephony.ami.client import AmiClient, AmiError
from telephony.ami.spy import Mode, spy, switch

log = logging.getLogger(__name__)

MODE_WORDS = {"listen": "监听", "whisper": "耳语", "barge": "强插"}


class SupervisionRefused(Exception):
    """Why a supervisor's action cannot be done now: a status code and the reason, in words."""

    def __init__(self, status_code: int, reason: str, error_id: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.error_id = error_id


class Supervision:
    def __init__(self, desk: AgentsSupervised, directory: AgentDirectory, ami: AmiClient, bus: EventBus) -> None:
        self.desk = desk
        self.directory = directory
        self.ami = ami
        self.bus = bus
        self.legs: dict[str, str] = {}  # supervisor -> the unique id of their last spy call

    async def join(self, supervisor: Actor, agent: str, mode: Mode) -> dict[str, Any]:
        """Ring the supervisor's phone; answered, it is on the agent's call in `mode`. A supervisor
        still on a call of theirs (listening, say) is moved to the new mode or agent instead: their
        phone does not ring a second time."""
        state = self._agent(agent)
        if state.status != "on_call":
            raise SupervisionRefused(409, f"{agent} is not on a call now", "agent_not_on_call")
        phone = await asyncio.to_thread(self.directory.phone_of, supervisor.name)
        if phone is None:
            raise SupervisionRefused(
                409, "you have no phone: an administrator gives you one to listen to calls", "no_phone"
            )
        try:
            leg = self.legs.get(supervisor.name)
            if leg is not None and await switch(self.ami, leg, state.extension, mode):
                self._tell(agent, "supervisor.joined", supervisor=supervisor.name, mode=mode, switched=True)
                return {"agent": agent, "mode": mode, "switched": True, "ringing": None}
            leg = f"spy-{phone.extension}-{secrets.token_hex(4)}"
            await spy(
                self.ami, phone.extension, state.extension, mode, label=f"{MODE_WORDS[mode]} {agent}", channel_id=leg
            )
            self.legs[supervisor.name] = leg
        except (AmiError, ConnectionError, TimeoutError) as exc:
            raise SupervisionRefused(503, f"the phone system did not take it: {exc}", "phone_system_down") from exc
        self._tell(agent, "supervisor.joined", supervisor=supervisor.name, mode=mode, extension=phone.extension)
        return {"agent": agent, "mode": mode, "switched": False, "ringing": phone.extension}

    async def pause(self, supervisor: Actor, agent: str, reason: str) -> dict[str, Any]:
        state = self._agent(agent)
        if not getattr(state, "queues", None):
            raise SupervisionRefused(409, f"{agent} is not in the queues", "agent_not_in_queues")
        await _desk(self.desk.pause(Actor(agent, Role.INTAKE_AGENT), f"{reason}（{supervisor.name}）"))
        self._tell(agent, "supervisor.paused", supervisor=supervisor.name, reason=reason)
        return {"agent": agent, "status": self._agent(agent).status}

    async def sign_out(self, supervisor: Actor, agent: str) -> dict[str, Any]:
        self._agent(agent)
        await _desk(self.desk.logout(Actor(agent, Role.INTAKE_AGENT)))
        self._tell(agent, "supervisor.signed-out", supervisor=supervisor.name)
        return {"agent": agent, "status": self._agent(agent).status}

    def transcript(self, agent: str) -> dict[str, Any]:
        """What the caller on the agent's screen has said so far (the words the platform heard live:
        in the menu and while waiting; the conversation with the agent is transcribed once it is
        recorded, in the case's page)."""
        state = self._agent(agent)
        call = getattr(state, "call", None)
        if call is None:
            raise SupervisionRefused(409, f"{agent} has no call on screen now", "agent_not_on_call")
        return {
            "agent": agent,
            "status": state.status,
            "call_id": call.call_id,
            "line": call.line_name or call.line,
            "direction": getattr(call, "direction", "in"),
            "transcript": call.transcript,
            "partial": call.partial,
            "case_number": call.case_number,
        }

    def _agent(self, agent: str) -> Any:
        state = self.desk.states.get(agent)
        if state is None:
            raise SupervisionRefused(404, f"no agent {agent} at the desk", "no_agent")
        return state

    def _tell(self, agent: str, name: str, **data: object) -> None:
        self.bus.publish(PlatformEvent(name, f"agent:{agent}", dict(data)))


async def _desk(action: Awaitable[Any]) -> None:
    """The desk's own action; its refusal (no phone, the phone system down) said as the desk says it."""
    try:
        await action
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        if not isinstance(status, int):
            raise
        raise SupervisionRefused(status, str(exc), str(getattr(exc, "error_id", "refused"))) from exc
