"""A supervisor's actions on an agent (hotline/features/wallboard/supervision.py): what is refused,
and why, in words. Logic only, with the desk and Asterisk scripted; the real ChanSpy (whisper heard
by the agent alone, barge by both) is tests/e2e/test_supervision.py, the page tests/e2e/test_wallboard.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from casebook.auth.policy import Actor, Role
from common.bus import EventBus
from hotline.features.wallboard.supervision import Supervision, SupervisionRefused
from telephony.ami.spy import OPTIONS, spy_exten

SUPERVISOR = Actor("sup-li", Role.SUPERVISOR)


@dataclass
class Seen:
    username: str
    extension: str
    status: str
    queues: dict[str, int] = field(default_factory=dict)
    reason: str = ""
    phone_online: bool = True


class Desk:
    def __init__(self, *seen: Seen) -> None:
        self.states = {s.username: s for s in seen}

    async def pause(self, actor: Actor, reason: str) -> Any:
        self.states[actor.name].status, self.states[actor.name].reason = "paused", reason

    async def logout(self, actor: Actor) -> Any:
        self.states[actor.name].status = "logged_out"


class Phones:
    def __init__(self, extension: str | None) -> None:
        self.extension = extension

    def phone_of(self, name: str) -> Any:
        return None if self.extension is None else type("Phone", (), {"extension": self.extension})()


class Ami:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.gone: set[str] = set()  # unique ids of channels hung up

    async def send(self, action: dict[str, str], **_: Any) -> dict[str, str]:
        self.sent.append(action)
        if action["Action"] == "Redirect" and action["Channel"] in self.gone:
            return {"Response": "Error", "Message": "No such channel"}
        return {"Response": "Success"}


def _supervision(desk: Desk, phone: str | None = "8001") -> tuple[Supervision, Ami]:
    ami = Ami()
    return Supervision(desk, Phones(phone), ami, EventBus()), ami  # type: ignore[arg-type]


async def test_joining_rings_the_supervisors_phone_into_chanspy_on_the_agents_leg() -> None:
    supervision, ami = _supervision(Desk(Seen("li", "1001", "on_call")))
    answer = await supervision.join(SUPERVISOR, "li", "whisper")
    assert answer == {"agent": "li", "mode": "whisper", "switched": False, "ringing": "8001"}
    [sent] = ami.sent
    assert (sent["Action"], sent["Channel"], sent["Context"]) == ("Originate", "PJSIP/8001", "hotline-spy")
    assert sent["Exten"] == "w-1001" and sent["ChannelId"].startswith("spy-8001-")


async def test_a_supervisor_listening_who_asks_to_whisper_is_moved_not_rung_again() -> None:
    supervision, ami = _supervision(Desk(Seen("li", "1001", "on_call")))
    await supervision.join(SUPERVISOR, "li", "listen")
    answer = await supervision.join(SUPERVISOR, "li", "whisper")
    assert answer["switched"] is True and answer["ringing"] is None
    first, moved = ami.sent
    assert moved["Action"] == "Redirect" and moved["Channel"] == first["ChannelId"]
    assert (moved["Context"], moved["Exten"]) == ("hotline-spy", "w-1001")
    ami.gone.add(first["ChannelId"])  # the supervisor hung up: the next request rings again
    again = await supervision.join(SUPERVISOR, "li", "barge")
    assert again["ringing"] == "8001" and [a["Action"] for a in ami.sent] == [
        "Originate",
        "Redirect",
        "Redirect",
        "Originate",
    ]


@pytest.mark.parametrize(
    ("desk", "phone", "status", "why"),
    [
        (Desk(Seen("li", "1001", "available", {"intake": 0})), "8001", 409, "not on a call"),
        (Desk(Seen("li", "1001", "on_call")), None, 409, "you have no phone"),
        (Desk(), "8001", 404, "no agent li"),
    ],
)
async def test_joining_is_refused_with_the_reason(desk: Desk, phone: str | None, status: int, why: str) -> None:
    supervision, ami = _supervision(desk, phone)
    with pytest.raises(SupervisionRefused, match=why) as refused:
        await supervision.join(SUPERVISOR, "li", "listen")
    assert refused.value.status_code == status and ami.sent == []


async def test_pausing_an_agent_names_the_supervisor_and_an_agent_out_of_the_queues_is_refused() -> None:
    desk = Desk(Seen("li", "1001", "available", {"intake": 0}), Seen("wang", "1002", "logged_out"))
    supervision, _ = _supervision(desk)
    assert (await supervision.pause(SUPERVISOR, "li", "培训"))["status"] == "paused"
    assert desk.states["li"].reason == "培训（sup-li）"
    with pytest.raises(SupervisionRefused, match="not in the queues"):
        await supervision.pause(SUPERVISOR, "wang", "培训")


def test_each_mode_has_its_chanspy_options_and_no_other_is_taken() -> None:
    assert OPTIONS == {"listen": "qEd", "whisper": "qEdw", "barge": "qEdB"}
    assert {mode: spy_exten("1001", mode) for mode in OPTIONS} == {  # type: ignore[arg-type]
        "listen": "l-1001",
        "whisper": "w-1001",
        "barge": "b-1001",
    }
    with pytest.raises(ValueError, match="listens, whispers or barges"):
        spy_exten("1001", "record")  # type: ignore[arg-type]


def test_a_supervisor_reads_what_the_caller_on_an_agents_screen_has_said() -> None:
    from hotline.features.desk.screenpop import DeskCall

    busy = Seen("li", "1001", "on_call")
    busy.call = DeskCall("c-7", "intake", "13900001111", "12345", "12345市长热线", [], 0.0)  # type: ignore[attr-defined]
    busy.call.heard.append("五津镇河边有死猪")  # type: ignore[attr-defined]
    busy.call.partial = "学校旁边"  # type: ignore[attr-defined]
    supervision, _ = _supervision(Desk(busy, Seen("wang", "1002", "available")))
    words = supervision.transcript("li")
    assert (words["transcript"], words["partial"], words["line"]) == ("五津镇河边有死猪", "学校旁边", "12345市长热线")
    assert "13900001111" not in str(words)  # the supervisor reads the words, not the caller's number
    with pytest.raises(SupervisionRefused, match="no call on screen"):
        supervision.transcript("wang")
