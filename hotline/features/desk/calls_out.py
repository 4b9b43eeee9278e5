"""What an agent does with a call from the page, beyond answering it: hand the caller on (a blind
transfer), or call a case's citizen (click-to-dial). A part of `AgentDesk` (services.py), split
out along its own seam; both go through Asterisk's dialplan (dialplans/extensions.conf.j2).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor
from casebook.cases.services import CaseBook
from hotline.features.desk.errors import DeskError, NoCall, NoCarrier
from ivr.lines import LineBook
from telephony.ami.client import AmiClient

if TYPE_CHECKING:
    from hotline.features.desk.services import DeskState

TRANSFER_CONTEXT = "hotline-transfer"  # q-<queue>, a-<extension>
DIAL_OUT_CONTEXT = "hotline-dial-out"  # the agent's phone, answered, rings the citizen through the carrier


class CallControls:
    """Needs of the desk (given by `AgentDesk`)."""

    ami: AmiClient
    directory: AgentDirectory
    lines: LineBook | None
    book: CaseBook | None
    dial_out: bool
    clock: Callable[[], float]

    if TYPE_CHECKING:

        async def state(self, actor: Actor) -> DeskState: ...
        async def _ami(self, action: Awaitable[None]) -> None: ...
        def _event(self, state: DeskState, name: str, **data: object) -> None: ...

    async def transfer(self, actor: Actor, to: str, target: str) -> DeskState:
        """Hand the caller on (a blind transfer): into another queue, or to another agent's phone
        (who, not answering, sends the caller back to the queue they came from). The agent leaves
        the call and is in wrap-up."""
        state = await self.state(actor)
        call = state.call
        if call is None or call.answered_at is None or call.ended_at is not None or not call.agent_channel:
            raise NoCall("there is no call in progress to transfer")
        exten = await self._transfer_target(to, target, state)
        await self._ami(self.ami.blind_transfer(call.agent_channel, TRANSFER_CONTEXT, exten))
        self._event(state, "agent.transferred", call=call.call_id, to=to, target=target)
        return state

    async def _transfer_target(self, to: str, target: str, state: DeskState) -> str:
        if to == "queue":
            if self.lines is None or target not in self.lines.queues:
                raise DeskError(f"no queue {target!r}")
            return f"q-{target}"
        owners = await asyncio.to_thread(self.directory.owners)
        extension = next((ext for ext, name in owners.items() if name == target), None)
        if extension is None:
            raise DeskError(f"no agent {target!r} with a phone")
        if extension == state.extension:
            raise DeskError("a call is not transferred to oneself")
        return f"a-{extension}"

    async def dial_case(self, actor: Actor, number: str) -> tuple[DeskState, str]:
        """Call the case's citizen (click-to-dial): the agent's phone rings first (the case's
        number on its screen), then, answered, the citizen's through the carrier; recorded as every
        conversation, and in the case's history. The call's id is chosen here, so that its
        recording joins the case."""
        state = await self.state(actor)
        if state.status in ("ringing", "on_call"):
            raise NoCall("you are on a call: finish it first")
        if not self.dial_out:
            raise NoCarrier("calls out are not possible: no carrier is configured (HOTLINE_CARRIER_URI)")
        if self.book is None:
            raise DeskError("this desk has no casebook")
        call_id = f"{int(self.clock())}.{secrets.randbelow(10**9)}"
        phone = await asyncio.to_thread(self.book.dialling, number, actor, call_id)
        digits = "".join(ch for ch in phone if ch.isdigit())
        await self._ami(
            self.ami.originate_to_dialplan(state.interface, call_id, DIAL_OUT_CONTEXT, digits, label=number)
        )
        self._event(state, "agent.dialled", case=number, call=call_id)
        return state, call_id
