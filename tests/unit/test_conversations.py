"""Recorded conversations in the casebook (issue 19): kept once, found by their call's case, heard
by who may read the case or took the call, held by a supervisor, purged after the retention.
The telephony side (Asterisk's MixMonitor, the keeper) runs for real in tests/e2e/test_conversations.py."""

from __future__ import annotations

import io
import itertools
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.errors import Forbidden, InvalidInput, NotFound
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.conversations.services import ConversationAudio
from casebook.db.models import Case
from telephony.calls.conversations import call_of, split_name
from tests.unit.conftest import AGENT, SUPERVISOR, handler

_calls = itertools.count(1)


def _wav(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(b"\x10\x00" * int(8000 * seconds))
    return out.getvalue()


def _conversation(book: CaseBook, *, with_case: bool = True, days_ago: float = 0) -> tuple[int, str | None, str]:
    """A conversation of a new call (and that call's case): (id, case number, call id)."""
    call_id = f"17900{book.clock.now():%d%H%M}.{next(_calls)}"
    number = None
    if with_case:
        appeal = NewAppeal(channel="line-12345", description="河边有死猪", caller_phone="13900001111", call_id=call_id)
        number = book.open(appeal, AGENT).number
    audio = ConversationAudio(
        name=f"conv-{call_id.replace('.', '-')}-1700000000",
        call_id=call_id,
        started_at=book.clock.now() - timedelta(days=days_ago),
        mixed=_wav(),
        caller=_wav(),
        agent=_wav(),
        duration_s=1.0,
    )
    return book.conversations.keep(audio), number, call_id


def test_a_conversation_handed_over_twice_is_kept_once_with_its_three_files(book: CaseBook) -> None:
    conversation_id, number, call_id = _conversation(book)
    again = ConversationAudio(
        f"conv-{call_id.replace('.', '-')}-1700000000", call_id, book.clock.now(), _wav(), None, None, 1.0
    )
    assert book.conversations.keep(again) == conversation_id
    assert number is not None
    [view] = book.conversations.of_case(number, AGENT)
    assert view.sides == ("mixed", "caller", "agent") and view.transcript_state == "pending"
    for side in view.sides:
        assert Path(book.conversations.audio_path(conversation_id, side, AGENT)).read_bytes() == _wav()


def test_only_who_may_read_the_case_hears_it_and_a_wrong_side_is_refused(book: CaseBook) -> None:
    conversation_id, _, _ = _conversation(book)
    with pytest.raises(NotFound):  # a unit without a share of the case does not learn it exists
        book.conversations.audio_path(conversation_id, "mixed", handler("env"))
    with pytest.raises(InvalidInput, match="mixed, caller, agent"):
        book.conversations.audio_path(conversation_id, "both", AGENT)
    with pytest.raises(NotFound):
        book.conversations.audio_path(10**9, "mixed", AGENT)


def test_a_conversation_without_a_case_is_heard_by_its_agent_and_supervisors_only(book: CaseBook) -> None:
    conversation_id, _, _ = _conversation(book, with_case=False)
    assert book.conversations.audio_path(conversation_id, "mixed", SUPERVISOR)
    for stranger in (handler("env"), AGENT):  # another intake agent neither: least privilege
        with pytest.raises(NotFound):
            book.conversations.audio_path(conversation_id, "mixed", stranger)


def test_the_purge_deletes_old_closed_cases_recordings_and_keeps_open_held_and_disputed_ones(book: CaseBook) -> None:
    old_closed, closed_number, _ = _conversation(book, days_ago=200)
    old_open, _, _ = _conversation(book, days_ago=200)
    old_held, held_number, _ = _conversation(book, days_ago=200)
    old_disputed, disputed_number, _ = _conversation(book, days_ago=200)
    young_closed, young_number, _ = _conversation(book, days_ago=10)
    with book.sessions() as s:
        for number in (closed_number, held_number, disputed_number, young_number):
            s.execute(update(Case).where(Case.number == number).values(status="closed"))
        s.execute(update(Case).where(Case.number == disputed_number).values(satisfaction="unsatisfied"))
        s.commit()
    assert held_number is not None and closed_number is not None
    book.conversations.hold(held_number, SUPERVISOR, "市民对话务员的态度有投诉")

    assert book.conversations.purge(timedelta(days=180)) == 1
    path_gone = Path(book.recordings_dir / "conversations")
    [purged] = book.conversations.of_case(closed_number, AGENT)
    assert purged.purged_at is not None and purged.sides == ()  # the record stays, the audio is gone
    with pytest.raises(NotFound, match="deleted"):
        book.conversations.audio_path(old_closed, "mixed", AGENT)
    for kept in (old_open, old_held, old_disputed, young_closed):
        assert book.conversations.audio_path(kept, "mixed", AGENT)
    assert not list(path_gone.rglob(f"*{purged.call_id.replace('.', '-')}*"))
    with book.sessions() as s:
        events = [e.kind for e in book.get(s, closed_number).events]
    assert "conversation_stored" in events and "conversation_purged" in events


def test_only_a_supervisor_holds_recordings_and_the_hold_is_released_with_no_reason(book: CaseBook) -> None:
    _, number, _ = _conversation(book)
    assert number is not None
    with pytest.raises(Forbidden):
        book.conversations.hold(number, AGENT, "不应该")
    with pytest.raises(InvalidInput, match="at most 200"):
        book.conversations.hold(number, SUPERVISOR, "长" * 201)
    with pytest.raises(InvalidInput, match="write why"):  # an empty reason is not a release
        book.conversations.hold(number, SUPERVISOR, "  ")
    assert book.conversations.hold(number, SUPERVISOR, "争议") == "争议"
    assert book.conversations.hold(number, SUPERVISOR, None) is None


def test_an_agent_sees_their_own_conversations_newest_first(book: CaseBook) -> None:
    first, _, _ = _conversation(book, days_ago=1)
    second, _, _ = _conversation(book)
    # the agent's call to a case's citizen (click-to-dial): the case is found by the call placed from it
    dialled = book.open(NewAppeal(channel="phone", description="路灯坏了", caller_phone="13900001112"), AGENT).number
    third, _, third_call = _conversation(book, with_case=False, days_ago=2)
    book.dialling(dialled, AGENT, third_call)
    with book.sessions() as s:  # who answered comes from the queue's record of the call
        from casebook.db.models import Conversation

        mine = (first, second, third)
        s.execute(update(Conversation).where(Conversation.id.in_(mine)).values(agent="desk-own"))
        s.commit()
    views = book.conversations.of_agent("desk-own")
    assert [v.id for v in views] == [second, first, third]
    assert views[2].case_number == dialled


def test_over_the_api_a_wrong_side_or_reason_is_a_clear_4xx(book: CaseBook, api: TestClient, auth: AuthService) -> None:
    conversation_id, number, _ = _conversation(book)
    stamp = auth.now().strftime("%y%m%d%H%M%S%f")
    for name, role in (("agent", Role.INTAKE_AGENT), ("sup", Role.SUPERVISOR)):
        auth.create_user(f"{name}-{stamp}", role, password="a-long-password")
    agent = {"Authorization": f"Bearer {auth.login(f'agent-{stamp}', 'a-long-password')}"}
    sup = {"Authorization": f"Bearer {auth.login(f'sup-{stamp}', 'a-long-password')}"}
    listed = api.get(f"/api/v1/cases/{number}/conversations", headers=agent)
    assert listed.status_code == 200 and listed.json()[0]["audio"]["caller"].endswith("/audio/caller")
    assert api.get(f"/api/v1/conversations/{conversation_id}/audio/mixed", headers=agent).content == _wav()
    assert api.get(f"/api/v1/conversations/{conversation_id}/audio/both", headers=agent).status_code == 422
    assert api.get(f"/api/v1/conversations/{10**9}/audio/mixed", headers=agent).status_code == 404
    link = api.post(
        "/api/v1/cases/links", json={"path": f"/api/v1/conversations/{conversation_id}/audio/agent"}, headers=agent
    )
    assert link.status_code == 201 and api.get(link.json()["url"]).content == _wav()
    refused = api.put(f"/api/v1/cases/{number}/recording-hold", json={"reason": "x"}, headers=agent)
    assert refused.status_code == 403 and "hold" in refused.json()["detail"]
    held = api.put(f"/api/v1/cases/{number}/recording-hold", json={"reason": "争议"}, headers=sup)
    assert held.status_code == 200 and held.json() == {"number": number, "held": True, "reason": "争议"}
    assert api.put(f"/api/v1/cases/{number}/recording-hold", json={"reason": "x" * 201}, headers=sup).status_code == 422
    assert api.get("/api/v1/me/conversations", headers=agent).json() == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("conv-1796455842-0-1796455847-caller", ("conv-1796455842-0-1796455847", "caller")),
        ("conv-1796455842-0-1796455847-mixed", ("conv-1796455842-0-1796455847", "mixed")),
        ("conv-1796455842-0-1796455847", None),  # no side: not one of ours
        ("rec-1796455842-0-1", None),
    ],
)
def test_a_conversation_file_is_known_by_its_name(name: str, expected: tuple[str, str] | None) -> None:
    assert split_name(name) == expected


def test_the_call_is_read_back_from_the_name_with_or_without_a_system_name() -> None:
    assert call_of("conv-1796455842-0-1796455847")[0] == "1796455842.0"
    assert call_of("conv-pbx-a-1796455842-17-1796455847")[0] == "pbx-a-1796455842.17"
    assert call_of("conv-1796455842-0-1796455847")[1].timestamp() == 1796455847
