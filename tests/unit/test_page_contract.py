"""What the pages rely on from the server: refusals carry a stable error id beside the reason,
the live sockets' messages are typed (one `type` tells them apart), and the shared page client
is served to every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from hotline.features.casework.messages import CaseChanged, CaseworkMessage, Following
from hotline.features.desk.messages import DeskMessage, StateMessage, TranscriptMessage
from hotline.features.wallboard.messages import WallboardMessage
from hotline.pages.messages import Closed
from hotline.pages.routes import router as pages_router

SUPERVISOR = Actor("sup", Role.SUPERVISOR)


def _bearer(auth: AuthService, name: str, role: Role, unit: str | None = None) -> dict[str, str]:
    auth.create_user(name, role, password="a-long-password", unit=unit)
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


def test_every_refusal_says_why_and_which(api: TestClient, auth: AuthService, book: CaseBook) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    supervisor = _bearer(auth, f"contract-sup-{stamp}", Role.SUPERVISOR)
    handler = _bearer(auth, f"contract-unit-{stamp}", Role.UNIT_HANDLER, "env")
    case = book.open(NewAppeal(channel="web", description="路灯坏了"), SUPERVISOR)

    cases = {
        "no login": (api.get("/api/v1/cases"), 401, "not_logged_in"),
        "no such case": (api.get("/api/v1/cases/2099999999", headers=supervisor), 404, "not_found"),
        "malformed": (api.post("/api/v1/cases", json={"channel": 5}, headers=supervisor), 422, "invalid_request"),
        "wrong state": (
            api.post(f"/api/v1/cases/{case.number}/accept", json={"section": "roads"}, headers=supervisor),
            409,
            "wrong_state",
        ),
        "role": (api.post("/api/v1/cases", json={"channel": "web", "description": "x"}, headers=handler), 403, None),
        "NUL": (api.get("/api/v1/cases?q=%00", headers=supervisor), 400, "nul_character"),
    }
    for name, (answer, status, error) in cases.items():
        assert answer.status_code == status, (name, answer.text)
        body = answer.json()
        assert body["detail"], name  # the reason, in words
        assert body["error"] == (error or "not_allowed"), (name, body)


def test_the_case_workspace_socket_says_it_follows_then_names_each_case_changed() -> None:
    feed = TypeAdapter(CaseworkMessage)
    assert isinstance(feed.validate_json(Following().model_dump_json()), Following)
    changed = feed.validate_json(
        CaseChanged(number="2612030001", kind="case.dispatched", status="dispatched").model_dump_json()
    )
    assert isinstance(changed, CaseChanged) and changed.number == "2612030001"
    with pytest.raises(ValidationError):
        feed.validate_python({"type": "case"})  # a change names its case


def test_the_live_messages_are_typed_and_told_apart_by_their_type() -> None:
    desk = TypeAdapter(DeskMessage)
    state = StateMessage(
        username="ann",
        extension="5101",
        status="available",
        queues={"intake": 0},
        paused=False,
        reason="",
        phone_online=True,
        phone="desk",
        wrapup_since=None,
        call=None,
    )
    assert isinstance(desk.validate_json(state.model_dump_json()), StateMessage)
    assert isinstance(desk.validate_json(TranscriptMessage(partial="路灯").model_dump_json()), TranscriptMessage)
    closed = Closed(code=4401, reason="your session has ended: log in again", error="not_logged_in")
    assert isinstance(desk.validate_json(closed.model_dump_json()), Closed)
    assert isinstance(TypeAdapter(WallboardMessage).validate_json(closed.model_dump_json()), Closed)
    # a message of another socket, or of no known type, is refused by the contract
    with pytest.raises(ValidationError):
        TypeAdapter(WallboardMessage).validate_json(state.model_dump_json())
    with pytest.raises(ValidationError):
        desk.validate_json('{"type": "gossip"}')
    with pytest.raises(ValidationError):  # a state without its fields
        desk.validate_json('{"type": "state", "username": "ann"}')


def test_the_page_client_is_served_and_nothing_beside_it() -> None:
    app = FastAPI()
    app.include_router(pages_router)
    client = TestClient(app)
    answer = client.get("/pages/client.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    assert "export async function api" in answer.text and "export function liveSocket" in answer.text
    assert client.get("/pages/files.py").status_code == 404
    assert client.get("/pages/..%2Ffiles.py").status_code == 404
    assert client.get("/pages/nothing.js").status_code == 404


def _top_level_words(block: str) -> list[str]:
    """The keys of one language's words (`zh: {...}`), nested objects left out."""
    keys, depth = [], 0
    for token in re.finditer(r'[{}]|"(?:\\.|[^"\\])*"|\b([a-z][a-z0-9_]*)\s*:', block):
        if token.group(0) == "{":
            depth += 1
        elif token.group(0) == "}":
            depth -= 1
        elif token.group(1) and depth == 1:
            keys.append(token.group(1))
    return keys


def _language_block(text: str, start: int) -> str:
    opening = text.index("{", start)
    depth = 0
    for at in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[at], 0)
        if depth == 0:
            return text[opening : at + 1]
    raise AssertionError("unbalanced words")


def test_the_admin_pages_tabs_name_no_word_twice() -> None:
    """admin.js merges each tab's words into the page's: a key two of them use shows one tab's
    words in another (a password reset asked "restore the installation's lines?": issue 16's trial)."""
    folder = Path(__file__).resolve().parents[2] / "hotline" / "features" / "casework" / "static"
    owners: dict[str, list[str]] = {}
    for path in sorted(folder.glob("admin*.js")):
        text = path.read_text(encoding="utf-8")
        for found in re.finditer(r"\bzh: \{", text):
            for key in _top_level_words(_language_block(text, found.start())):
                owners.setdefault(key, []).append(path.name)
    twice = {key: files for key, files in owners.items() if len(files) > 1}
    assert len(owners) > 200 and twice == {}, twice
