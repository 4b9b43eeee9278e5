"""Desk actions: log in to one's queues (skills as penalties), log out, pause with a reason.

Asterisk's queues hold the membership (AMI QueueAdd/QueueRemove/QueuePause on `PJSIP/<ext>`);
every action is also an event on the bus (agent.login, agent.logout, agent.paused,
agent.resumed), so the call log keeps the agents' states for the metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field

from casebook.agents.services import AgentDirectory, SipAccount
from casebook.auth.policy import Actor
from common.bus import EventBus, PlatformEvent
from hotline.desk.errors import NoPhone, PhoneSystemDown
from telephony.ami.client import AmiClient, AmiError


@dataclass
class DeskState:
    username: str
    extension: str
    queues: dict[str, int] = field(default_factory=dict)  # logged in: queue -> penalty
    paused: bool = False
    reason: str = ""

    @property
    def status(self) -> str:
        if not self.queues:
            return "logged_out"
        return "paused" if self.paused else "available"


class AgentDesk:
    def __init__(self, directory: AgentDirectory, ami: AmiClient, bus: EventBus) -> None:
        self.directory = directory
        self.ami = ami
        self.bus = bus
        self.states: dict[str, DeskState] = {}

    async def state(self, actor: Actor) -> DeskState:
        phone = await self._phone(actor)
        return self.states.setdefault(actor.name, DeskState(actor.name, phone.extension))

    async def login(self, actor: Actor) -> DeskState:
        phone = await self._phone(actor)
        state = self.states.setdefault(actor.name, DeskState(actor.name, phone.extension))
        for queue, penalty in sorted(phone.skills.items()):
            await self._ami(self._add(queue, phone, actor.name, penalty))
            state.queues[queue] = penalty
        state.paused, state.reason = False, ""
        self._event(state, "agent.login", queues=sorted(state.queues))
        return state

    async def logout(self, actor: Actor) -> DeskState:
        state = await self.state(actor)
        for queue in list(state.queues):
            await self._ami(self._remove(queue, f"PJSIP/{state.extension}"))
            del state.queues[queue]
        state.paused, state.reason = False, ""
        self._event(state, "agent.logout")
        return state

    async def pause(self, actor: Actor, reason: str) -> DeskState:
        state = await self.state(actor)
        if not state.queues:
            return state
        await self._ami(self.ami.queue_pause(None, f"PJSIP/{state.extension}", True, reason))
        state.paused, state.reason = True, reason
        self._event(state, "agent.paused", reason=reason)
        return state

    async def resume(self, actor: Actor) -> DeskState:
        state = await self.state(actor)
        if not state.queues:
            return state
        await self._ami(self.ami.queue_pause(None, f"PJSIP/{state.extension}", False))
        state.paused, state.reason = False, ""
        self._event(state, "agent.resumed")
        return state

    # --- helpers -------------------------------------------------------------------------------------
    async def _phone(self, actor: Actor) -> SipAccount:
        phone = await asyncio.to_thread(self.directory.phone_of, actor.name)
        if phone is None:
            raise NoPhone(f"{actor.name} has no phone: an administrator gives one (POST /api/v1/agents)")
        return phone

    async def _add(self, queue: str, phone: SipAccount, member: str, penalty: int) -> None:
        try:
            await self.ami.queue_add(queue, f"PJSIP/{phone.extension}", member_name=member, penalty=penalty)
        except AmiError as exc:
            if "already" not in str(exc).lower():  # logged in already: fine
                raise

    async def _remove(self, queue: str, interface: str) -> None:
        try:
            await self.ami.queue_remove(queue, interface)
        except AmiError as exc:
            if "not there" not in str(exc).lower():
                raise

    async def _ami(self, action: Awaitable[None]) -> None:
        try:
            await action
        except AmiError as exc:
            raise PhoneSystemDown(f"the phone system did not take it: {exc}") from exc
        except (ConnectionError, TimeoutError) as exc:
            raise PhoneSystemDown("the phone system is not reachable; try again in a moment") from exc

    def _event(self, state: DeskState, name: str, **data: object) -> None:
        self.bus.publish(
            PlatformEvent(
                name, f"agent:{state.username}", {"extension": state.extension, "status": state.status, **data}
            )
        )
