"""The center's lines edited by an administrator (issue 16: "lines: numbers, greetings, hours,
default queue"): `/api/v1/lines` over the platform's own application and the real PostgreSQL, every
process following the lines in force, and the loop that brings them to Asterisk (its logic, with
Asterisk's parts as recorders; tests/e2e/test_center_lines.py calls a real Asterisk).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from casebook.cases.errors import InvalidInput
from casebook.db.models import AuditEntry, CenterSetting, Channel
from hotline.features.lines.follow import LineFollower
from hotline.features.lines.store import LineStore
from hotline.platform import Platform
from ivr.lines import LineBook, load_lines
from telephony.runtime.config import PhoneAccount
from telephony.runtime.sync import AsteriskSync
from tests.unit.conftest import api_platform

NEW_LINE = {
    "number": "12399",
    "code": "river-watch",
    "name_zh": "河长制热线",
    "name_en": "River Chief Line",
    "greeting": {"zh": "您好，河长制热线。", "en": "Hello, the river chief line."},
    "hours": [{"days": "mon-fri", "open": "09:00", "close": "17:00"}],
    "default_queue": "intake",
    "default_category": "general",
}


@pytest.fixture
def site(seeded_pg: str, tmp_path: Path) -> Iterator[tuple[TestClient, Platform]]:
    platform = api_platform(seeded_pg, tmp_path / "data")
    _forget(platform)
    try:
        with TestClient(platform.api(telephony=False)) as client:
            yield client, platform
    finally:  # the session's database is shared: the other tests keep the lines file's lines
        _forget(platform)
        platform.casebook.close()


def _forget(platform: Platform) -> None:
    with platform.sessions() as s:
        s.execute(delete(CenterSetting).where(CenterSetting.name.in_(["lines", "lines_applied"])))
        s.commit()


def _store(platform: Platform) -> LineStore:
    store = platform.state["line_store"]
    assert isinstance(store, LineStore)
    return store


def _person(platform: Platform, role: str) -> dict[str, str]:
    name = f"lines-{role}-{time.time_ns()}"
    platform.auth.create_user(name, role, password="a-long-password")
    return {"Authorization": f"Bearer {platform.auth.login(name, 'a-long-password')}"}


def _with_new_line() -> dict[str, Any]:
    book = load_lines().model_dump(mode="json")
    book["lines"].append(copy.deepcopy(NEW_LINE))
    return book


def test_an_administrator_adds_a_line_and_the_casebook_and_every_process_know_it(
    site: tuple[TestClient, Platform],
) -> None:
    client, platform = site
    admin = _person(platform, "admin")
    before = client.get("/api/v1/lines", headers=admin).json()
    assert before["set_by_administrator"] is False and len(before["lines"]) == 4

    answer = client.put("/api/v1/lines", json=_with_new_line(), headers=admin)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["set_by_administrator"] is True and body["updated_by"].startswith("lines-admin-")
    assert body["in_asterisk"] is False  # no telephony process has taken them yet
    assert [line["number"] for line in body["lines"]][-1] == "12399"
    with platform.sessions() as s:  # the new number is a channel of the casebook: its cases say so
        channel = s.scalar(select(Channel).where(Channel.line_number == "12399"))
        assert channel is not None and channel.name_zh == "河长制热线"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.target == "setting:lines")).all()[-1]
        assert entry.action == "PUT /api/v1/lines" and entry.after is not None
        assert "12399" in entry.after and "12399" not in (entry.before or {})
        assert entry.after["12399"]["greeting"]["zh"] == "您好，河长制热线。"
    held = load_lines()  # what a running process holds, from the file
    assert LineFollower(_store(platform), held).refresh() is True
    assert held.by_number("12399") is not None and held.by_number("12399").greeting.zh == "您好，河长制热线。"  # type: ignore[union-attr]


def test_when_asterisk_has_taken_the_lines_the_page_is_told_so(site: tuple[TestClient, Platform]) -> None:
    client, platform = site
    admin = _person(platform, "admin")
    client.put("/api/v1/lines", json=_with_new_line(), headers=admin)
    store = _store(platform)
    store.mark_applied(store.current())
    body = client.get("/api/v1/lines", headers=admin).json()
    assert body["in_asterisk"] is True and body["applied_at"] is not None
    client.put("/api/v1/lines", json=load_lines().model_dump(mode="json"), headers=admin)
    assert client.get("/api/v1/lines", headers=admin).json()["in_asterisk"] is False  # changed again


def test_back_to_the_lines_file(site: tuple[TestClient, Platform]) -> None:
    client, platform = site
    admin = _person(platform, "admin")
    client.put("/api/v1/lines", json=_with_new_line(), headers=admin)
    answer = client.delete("/api/v1/lines", headers=admin)
    assert answer.status_code == 200
    assert answer.json()["set_by_administrator"] is False and len(answer.json()["lines"]) == 4


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda line: line.update(number="12345"), "duplicate line number"),
        (lambda line: line.update(code="mayor"), "duplicate line code"),
        (lambda line: line.update(number="12-399"), "number"),
        (lambda line: line["greeting"].update(zh="您好\n\t热线"), "control characters"),
        (lambda line: line["greeting"].update(en="   "), "blank"),
        (lambda line: line["greeting"].update(zh="很长" * 100), "at most 120 characters"),
        (lambda line: line.update(default_queue="general"), "reserved"),
        (lambda line: line.update(default_category="no-such-topic"), "unknown default category no-such-topic"),
        (lambda line: line.update(hours=[{"days": "mon-fri", "open": "18:00", "close": "09:00"}]), "within one day"),
        (lambda line: line.update(hours=[{"days": "someday"}]), "days"),
        (lambda line: line.update(language="fr"), "language must be one of"),
        (lambda line: line.update(colour="red"), "colour"),
    ],
)
def test_a_wrong_line_is_refused_with_the_reason_and_nothing_changes(
    site: tuple[TestClient, Platform], change: Any, reason: str
) -> None:
    client, platform = site
    admin = _person(platform, "admin")
    book = _with_new_line()
    change(book["lines"][-1])
    answer = client.put("/api/v1/lines", json=book, headers=admin)
    assert answer.status_code == 422, answer.text
    assert reason in answer.text
    assert client.get("/api/v1/lines", headers=admin).json()["set_by_administrator"] is False


def test_no_lines_at_all_is_refused(site: tuple[TestClient, Platform]) -> None:
    client, platform = site
    answer = client.put("/api/v1/lines", json={"lines": []}, headers=_person(platform, "admin"))
    assert answer.status_code == 422 and "at least 1" in answer.text


@pytest.mark.parametrize("role", ["supervisor", "intake_agent", "unit_handler", "leader"])
def test_only_administrators_see_and_change_the_lines(site: tuple[TestClient, Platform], role: str) -> None:
    client, platform = site
    if role == "unit_handler":
        name = f"lines-handler-{time.time_ns()}"
        platform.auth.create_user(name, role, unit="water", password="a-long-password")
        person = {"Authorization": f"Bearer {platform.auth.login(name, 'a-long-password')}"}
    else:
        person = _person(platform, role)
    assert client.get("/api/v1/lines", headers=person).status_code == 403
    assert client.put("/api/v1/lines", json=_with_new_line(), headers=person).status_code == 403


def test_stored_lines_hand_edited_wrong_leave_a_process_on_the_lines_it_has(
    site: tuple[TestClient, Platform],
) -> None:
    _, platform = site
    with platform.sessions() as s:
        s.add(
            CenterSetting(
                name="lines", value='{"lines": "nonsense"}', updated_at=platform.book.clock.now(), updated_by="x"
            )
        )
        s.commit()
    held = load_lines()
    with pytest.raises(InvalidInput, match="stored lines"):
        LineFollower(_store(platform), held).refresh()
    assert len(held.lines) == 4


# --- bringing them to Asterisk -------------------------------------------------------------------


class Recorder:
    """Asterisk's side of the sync, recorded: what was spoken and reloaded; the files "written"
    are those whose inputs differ from the last render (as render_changes compares words)."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.on_disk: dict[str, object] = {}
        self.reloaded: list[str] = []
        self.applied: list[str] = []
        self.fail_reload = False

    def render(self, book: LineBook, phones: Sequence[PhoneAccount]) -> set[str]:
        files = {"pjsip.conf": tuple(phones), "extensions.conf": book.key(), "queues.conf": tuple(book.queues)}
        changed = {name for name, words in files.items() if self.on_disk.get(name) != words}
        self.on_disk.update(files)
        return changed

    async def reload(self, module: str) -> None:
        if self.fail_reload:
            raise RuntimeError("AMI is not connected")
        self.reloaded.append(module)


def _sync(recorder: Recorder, book: LineBook, phones: list[PhoneAccount]) -> AsteriskSync:
    return AsteriskSync(
        lambda: phones,
        lambda: book,
        recorder.render,
        recorder.reload,
        speak=lambda b: recorder.spoken.extend(line.greeting.zh for line in b.lines),
        lines_applied=lambda b: recorder.applied.append(b.key()),
    )


async def test_asterisk_reloads_only_the_modules_whose_files_changed() -> None:
    recorder, book = Recorder(), load_lines()
    phones = [PhoneAccount("8001", "md5", "sha")]
    sync = _sync(recorder, book, phones)
    recorder.render(book, phones)  # Asterisk started on these files

    assert await sync.sync() is False  # already up to date: nothing reloaded
    assert recorder.reloaded == [] and len(recorder.applied) == 1  # but the page may say "taken"

    phones.append(PhoneAccount("8002", "md5", "sha"))
    assert await sync.sync() is True
    assert recorder.reloaded == ["res_pjsip.so"]  # the phones alone

    spoken = len(recorder.spoken)
    book.take(LineBook.model_validate(_with_new_line()))  # a new number, to the same queue
    recorder.reloaded.clear()
    assert await sync.sync() is True
    assert recorder.reloaded == ["pbx_config.so"]  # the dialplan; not PJSIP, not the queues
    assert "您好，河长制热线。" in recorder.spoken[spoken:] and len(recorder.applied) == 2

    new_queue = _with_new_line()
    new_queue["lines"][-1]["default_queue"] = "rivers"
    book.take(LineBook.model_validate(new_queue))
    recorder.reloaded.clear()
    assert await sync.sync() is True
    assert recorder.reloaded == ["app_queue.so", "pbx_config.so"]
    assert await sync.sync() is False and sync.changes == 3


async def test_a_failed_reload_is_tried_again_and_not_reported_as_taken() -> None:
    recorder, book = Recorder(), load_lines()
    sync = _sync(recorder, book, [])
    recorder.fail_reload = True
    with pytest.raises(RuntimeError):
        await sync.sync()
    assert recorder.applied == [] and sync.pending == {"res_pjsip.so", "pbx_config.so", "app_queue.so"}
    recorder.fail_reload = False
    assert await sync.sync() is True  # the files are written already: the reloads are still owed
    assert sorted(recorder.reloaded) == ["app_queue.so", "pbx_config.so", "res_pjsip.so"]
    assert len(recorder.applied) == 1


def test_a_process_holds_one_book_that_takes_new_lines_in_place() -> None:
    book = load_lines()
    old_list = book.lines
    book.take(LineBook.model_validate(_with_new_line()))
    assert book.by_number("12399") is not None
    assert len(old_list) == 4  # whoever was reading the old list read it whole


def test_a_line_cannot_take_an_agents_phone_extension(site: tuple[TestClient, Platform]) -> None:
    client, platform = site
    from casebook.agents.services import AgentDirectory
    from casebook.auth.policy import Actor, Role

    name = f"lines-agent-{time.time_ns()}"
    platform.auth.create_user(name, "intake_agent", password="a-long-password")
    extension = str(7000 + time.time_ns() % 1000)
    AgentDirectory(platform.sessions).create(Actor("admin", Role.ADMIN), name, extension, {"intake": 0})
    book = _with_new_line()
    book["lines"][-1]["number"] = extension
    answer = client.put("/api/v1/lines", json=book, headers=_person(platform, "admin"))
    assert answer.status_code == 422 and "an agent's phone extension" in answer.json()["detail"]


def test_the_queues_rules_come_from_the_lines_file_and_survive_an_edit_of_the_lines_in_the_page(
    site: tuple[TestClient, Platform],
) -> None:
    client, platform = site
    admin = _person(platform, "admin")
    shown = client.get("/api/v1/lines", headers=admin).json()["queues"]
    assert shown["efficiency"]["wrapup_s"] == 30 and shown["efficiency"]["wrapup_max_s"] == 300
    assert shown["intake"]["wrapup_s"] == 10 and shown["intake"]["wrapup_max_s"] is None  # the defaults
    assert [r["code"] for r in shown["efficiency"]["pause_reasons"]][-1] == "follow-up"
    page_edit = {"lines": _with_new_line()["lines"]}  # what the admin page sends: the lines alone
    answer = client.put("/api/v1/lines", json=page_edit, headers=admin)
    assert answer.status_code == 200 and answer.json()["queues"]["efficiency"]["wrapup_s"] == 30


def test_an_agents_reasons_to_pause_are_those_of_their_queues_each_once() -> None:
    book = load_lines()
    efficiency = [r.code for r in book.pause_reasons(["efficiency"])]
    assert efficiency == ["break", "meal", "training", "paperwork", "follow-up"]
    assert [r.code for r in book.pause_reasons(["intake"])] == ["break", "meal", "training", "paperwork"]
    assert [r.code for r in book.pause_reasons(["intake", "efficiency"])][-1] == "follow-up"  # once each
    held = load_lines()
    held.take(LineBook(lines=book.lines))
    assert held.rules("efficiency").wrapup_s == 10  # a book without rules: the defaults, in place
