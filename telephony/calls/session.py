"""One caller's session: a task group that a hangup cancels as a whole.

The flow (and anything it starts through `spawn`) runs inside the group, beside a watcher
that raises `CallEnded` when the channel goes away; the group then cancels everything the call
started. Work that must outlive the caller (turning a message into a case) is not here: the
recording keeper does it from Asterisk's own record of the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from common.logs import call_id_var
from common.privacy import mask_number
from ivr.ports import CallEnded
from telephony.calls import notifier as ev
from telephony.calls.leg import AriCallLeg
from telephony.calls.notifier import CallNotifier
from telephony.calls.states import CallState

log = logging.getLogger(__name__)

FlowRunner = Callable[["CallSession"], Awaitable[str]]


class CallSession:
    def __init__(self, leg: AriCallLeg, notifier: CallNotifier, *, resumed: bool = False) -> None:
        self.leg = leg
        self.notifier = notifier
        self.resumed = resumed
        self.state = CallState.RINGING
        self.outcome = "unknown"
        self._gone = asyncio.Event()
        self._gone_reason = ""
        self._group: asyncio.TaskGroup | None = None
        self.progress: Callable[[], str] | None = None  # the flow's outcome so far, for hangups

    @property
    def call_id(self) -> str:
        return self.leg.call_id

    def set_state(self, state: CallState) -> None:
        if state != self.state:
            self.state = state
            self.notifier.emit(self.call_id, ev.CALL_STATE, state=state.value)

    def gone(self, reason: str) -> None:
        """The channel hung up, left Stasis, or vanished: end the session."""
        if not self._gone.is_set():
            self._gone_reason = reason
            self._gone.set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start work that belongs to this call and must stop when it ends."""
        if self._group is None:
            raise RuntimeError("the call's task group is not running")
        return self._group.create_task(coro)

    async def run(self, flow: FlowRunner) -> None:
        call_id_var.set(self.call_id)
        self.notifier.emit(
            self.call_id,
            ev.CALL_STARTED,
            line=self.leg.dialled_number,
            caller=mask_number(self.leg.caller_number),
            resumed=self.resumed,
        )
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                watcher = group.create_task(self._raise_when_gone())
                self.outcome = await flow(self)
                watcher.cancel()
                if self.state not in (CallState.TRANSFERRED, CallState.ENDED):
                    await self.leg.hangup()
        except* CallEnded:
            so_far = self.progress() if self.progress else "hangup"
            self.outcome = so_far if so_far != "hangup" else "caller-hung-up"
        except* Exception:
            log.exception("call flow failed; hanging up")
            self.outcome = "error"
            try:
                await self.leg.hangup()
            except Exception:
                log.exception("hangup after failure failed too")
        finally:
            self._group = None
            if self.state != CallState.TRANSFERRED:
                self.set_state(CallState.ENDED)
            self.notifier.emit(self.call_id, ev.CALL_ENDED, outcome=self.outcome, reason=self._gone_reason)

    async def _raise_when_gone(self) -> None:
        await self._gone.wait()
        raise CallEnded(self._gone_reason)
