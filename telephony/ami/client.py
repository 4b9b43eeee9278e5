"""AMI through panoramisk, for queue and agent state.

panoramisk reconnects by itself; this wrapper adds timeouts, typed answers, and the
`as_list=False` that QueueAdd needs (panoramisk 1.4 otherwise waits for a list that never
comes). When AMI cannot be reached, questions about agents answer "nobody available", so a
caller is offered to leave a message instead of waiting in an empty queue.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager

log = logging.getLogger(__name__)


IDLE = 1  # Asterisk's device state "not in use"
NOT_THERE = (4, 5)  # Asterisk device states: invalid, unavailable (the phone is not registered)


class AmiError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class QueueSummary:
    queue: str
    logged_in: int
    available: int
    callers: int
    hold_time_s: int
    longest_hold_s: int


@dataclass(frozen=True, slots=True)
class QueueMember:
    queue: str
    name: str  # the member name: the agent's user name
    interface: str  # PJSIP/1001
    penalty: int
    paused: bool
    reason: str
    status: int  # Asterisk's device state: 1 not in use, 2 in use, 5 unavailable, 6 ringing...
    in_call: bool


class AmiClient:
    def __init__(
        self, host: str, port: int, user: str, secret: str, *, timeout: float = 3.0, events: str = "agent,user"
    ) -> None:
        """`events`: the AMI event classes this session receives (sent at every (re)login): the
        queues' (agent) and the dialplan's own UserEvents (user), not every channel's (call)."""
        self._manager = Manager(
            host=host,
            port=port,
            username=user,
            secret=secret,
            ping_delay=10,
            ping_interval=10,
            reconnect_timeout=1,
            events=events,
            log=logging.getLogger("panoramisk"),
        )
        self.timeout = timeout

    @property
    def connected(self) -> bool:
        return bool(self._manager._connected and self._manager.authenticated)

    async def connect(self) -> None:
        """Connect and log in; if AMI is not up yet, panoramisk keeps retrying in the background."""
        self._manager.loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self._manager.connect(), self.timeout)
        except (OSError, TimeoutError) as exc:
            raise AmiError(f"AMI not reachable: {exc}") from exc
        deadline = asyncio.get_running_loop().time() + self.timeout
        while not self.connected and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110 (panoramisk offers no event)
            await asyncio.sleep(0.02)
        if not self.connected:
            raise AmiError("AMI login failed (user or secret wrong?)")

    def close(self) -> None:
        """Close for good (panoramisk would otherwise reconnect after any lost connection)."""
        self._manager.connection_lost = lambda exc: None
        if self._manager.pinger is not None:
            self._manager.pinger.cancel()
        self._manager.close()

    def on_event(self, pattern: str, callback: Any) -> None:
        self._manager.register_event(pattern, callback)

    async def send(self, action: dict[str, str], *, as_list: bool | None = None) -> Any:
        if not self.connected:
            raise AmiError("AMI is not connected")
        try:
            return await asyncio.wait_for(self._manager.send_action(action, as_list=as_list), self.timeout)
        except TimeoutError as exc:
            raise AmiError(f"AMI {action.get('Action')} timed out") from exc

    async def queue_summary(self, queue: str) -> QueueSummary | None:
        answer = await self.send({"Action": "QueueSummary", "Queue": queue})
        for message in answer if isinstance(answer, list) else [answer]:
            if message.get("Event") == "QueueSummary" and message.get("Queue") == queue:
                return QueueSummary(
                    queue=queue,
                    logged_in=_int(message.get("LoggedIn")),
                    available=_int(message.get("Available")),
                    callers=_int(message.get("Callers")),
                    hold_time_s=_int(message.get("HoldTime")),
                    longest_hold_s=_int(message.get("LongestHoldTime")),
                )
        return None

    async def queue_members(self) -> list[QueueMember]:
        """Every member of every queue as Asterisk has them now (the desk resyncs from this)."""
        answer = await self.send({"Action": "QueueStatus"}, as_list=True)
        members = []
        for message in answer if isinstance(answer, list) else [answer]:
            if message.get("Event") != "QueueMember":
                continue
            members.append(
                QueueMember(
                    queue=str(message.get("Queue", "")),
                    name=str(message.get("Name", "")),
                    interface=str(message.get("StateInterface") or message.get("Location", "")),
                    penalty=_int(message.get("Penalty")),
                    paused=str(message.get("Paused", "0")) == "1",
                    reason=str(message.get("PausedReason", "")),
                    status=_int(message.get("Status")),
                    in_call=str(message.get("InCall", "0")) == "1",
                )
            )
        return members

    async def queue_add(
        self, queue: str, interface: str, *, member_name: str = "", penalty: int = 0, paused: bool = False
    ) -> None:
        answer = await self.send(
            {
                "Action": "QueueAdd",
                "Queue": queue,
                "Interface": interface,
                "MemberName": member_name or interface,
                "Penalty": str(penalty),
                "Paused": "true" if paused else "false",
            },
            as_list=False,
        )
        check(answer, "QueueAdd")

    async def queue_remove(self, queue: str, interface: str) -> None:
        answer = await self.send({"Action": "QueueRemove", "Queue": queue, "Interface": interface}, as_list=False)
        check(answer, "QueueRemove")

    async def queue_pause(self, queue: str | None, interface: str, paused: bool, reason: str = "") -> None:
        action = {
            "Action": "QueuePause",
            "Interface": interface,
            "Paused": "true" if paused else "false",
            "Reason": reason,
        }
        if queue:
            action["Queue"] = queue
        check(await self.send(action, as_list=False), "QueuePause")

    async def blind_transfer(self, channel: str, context: str, exten: str) -> None:
        """Send the party bridged with `channel` (the agent's leg) to `exten@context`; `channel`
        leaves the call."""
        action = {"Action": "BlindTransfer", "Channel": channel, "Context": context, "Exten": exten}
        check(await self.send(action, as_list=False), "BlindTransfer")

    async def attended_transfer(self, channel: str, context: str, exten: str) -> None:
        """Start an attended transfer from `channel` (an agent's leg): it calls `exten@context`
        while its party hears music on hold; keys on `channel` then finish it (features.conf:
        complete, all three together, or back to the caller: `press`). Asterisk dials `exten` as
        keys pressed on `channel` (digits, * and # only)."""
        action = {"Action": "Atxfer", "Channel": channel, "Context": context, "Exten": exten}
        check(await self.send(action, as_list=False), "Atxfer")

    async def set_variable(self, channel: str, name: str, value: str) -> None:
        """A variable on `channel` (`__NAME`: inherited by the channels it makes)."""
        action = {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        check(await self.send(action, as_list=False), "Setvar")

    async def press(self, channel: str, digits: str) -> None:
        """`digits` as if pressed on `channel`'s own phone (AMI PlayDTMF, Receive): what the
        bridge's features (the attended transfer's keys) act on."""
        for digit in digits:
            action = {"Action": "PlayDTMF", "Channel": channel, "Digit": digit, "Duration": "100", "Receive": "true"}
            check(await self.send(action, as_list=False), "PlayDTMF")
            await asyncio.sleep(0.15)

    async def originate_to_dialplan(
        self, channel: str, channel_id: str, context: str, exten: str, *, label: str, ring_s: int = 30
    ) -> None:
        """Ring `channel` (an agent's phone, showing `label`); answered, it runs `exten@context`.
        `channel_id` becomes the new channel's unique id (the platform's call id)."""
        action = {
            "Action": "Originate",
            "Channel": channel,
            "ChannelId": channel_id,
            "Context": context,
            "Exten": exten,
            "Priority": "1",
            "CallerID": f'"{label}" <{label}>',
            "Timeout": str(ring_s * 1000),
            "Async": "true",
        }
        check(await self.send(action, as_list=False), "Originate")

    async def reload(self, module: str) -> None:
        """Reload one module's configuration (`res_pjsip.so`, `pbx_config.so`, `app_queue.so`)."""
        check(await self.send({"Action": "Reload", "Module": module}, as_list=False), f"Reload {module}")


class AmiAgents:
    """The IVR's `AgentsPort`: can anybody in this queue answer, now or after the calls ahead?

    A caller is queued when at least one member is logged in with a working phone and not
    paused, even if they are all busy (the caller hears their position and may leave a message
    after `queue_max_wait_s`); with nobody there, waiting would be pointless: a message at once.
    """

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami

    async def agents_available(self, queue: str) -> bool:
        try:
            members = await self.ami.queue_members()
        except AmiError as exc:
            log.warning("cannot ask AMI about queue %s (%s): treating it as unavailable", queue, exc)
            return False
        mine = [m for m in members if m.queue == queue]
        if any(not m.paused and m.status not in NOT_THERE for m in mine):
            return True
        log.info(
            "queue %s: nobody to answer (%d members, %d paused, %d phones unreachable)",
            queue,
            len(mine),
            sum(m.paused for m in mine),
            sum(m.status in NOT_THERE for m in mine),
        )
        return False

    async def agents_free(self) -> dict[str, int]:
        """Per queue, the members who could take a call this moment: signed in, not paused, their
        phone idle (a keep-my-place callback is placed only for such an agent). Empty when AMI
        cannot tell (nobody is called back into the unknown)."""
        try:
            members = await self.ami.queue_members()
        except AmiError as exc:
            log.warning("cannot ask AMI who is free (%s): no place callbacks this round", exc)
            return {}
        free: dict[str, int] = {}
        for m in members:
            free[m.queue] = free.get(m.queue, 0) + (not m.paused and m.status == IDLE and not m.in_call)
        return free


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def check(answer: Any, action: str) -> None:
    """Raise AmiError unless Asterisk answered the action with Success."""
    message = answer[0] if isinstance(answer, list) else answer
    if message is None or message.get("Response") not in ("Success",):
        raise AmiError(f"AMI {action} refused: {message.get('Message') if message else 'no answer'}")
