"""Cases a person must call back: listed, cleared when the citizen is reached, refused clearly."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from tests.unit.conftest import AGENT


def _headers(auth: AuthService, role: Role, unit: str | None = None) -> dict[str, str]:
    name = f"{role.value}-{secrets.token_hex(4)}"
    auth.create_user(name, role, unit=unit, password="a-long-password")
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


def _phone_case(book: CaseBook, call_id: str, call_back: str | None) -> str:
    appeal = NewAppeal(
        channel="line-12345",
        caller_phone="13800000077",
        line_number="12345",
        call_id=call_id,
        received_at=datetime.now(UTC),
        origin="ivr",
        call_back=call_back,
    )
    return book.open(appeal, AGENT).number


def test_a_case_to_call_back_is_listed_with_why_and_cleared_once_reached(
    api: TestClient, book: CaseBook, auth: AuthService
) -> None:
    marked = _phone_case(book, "cb-1", "hung up before the tone, without a word")
    plain = _phone_case(book, "cb-2", None)
    agent = _headers(auth, Role.INTAKE_AGENT)
    listed = api.get("/api/v1/cases", params={"call_back": "true", "limit": 500}, headers=agent).json()["items"]
    numbers = {c["number"]: c["call_back"] for c in listed}
    assert numbers.get(marked) == "hung up before the tone, without a word" and plain not in numbers
    assert book.number_of_call("cb-1") == marked and book.number_of_call("no-such-call") is None

    not_reached = api.post(f"/api/v1/cases/{marked}/called-back", json={"reached": False}, headers=agent)
    assert not_reached.status_code == 200 and not_reached.json()["call_back"] is not None
    reached = api.post(
        f"/api/v1/cases/{marked}/called-back", json={"reached": True, "note": "问清了地点"}, headers=agent
    )
    assert reached.status_code == 200 and reached.json()["call_back"] is None
    kinds = [e["kind"] for e in reached.json()["events"]]
    assert kinds.count("called_back") == 2  # both attempts are in the history


def test_calling_back_is_refused_with_a_reason(api: TestClient, book: CaseBook, auth: AuthService) -> None:
    plain = _phone_case(book, "cb-3", None)
    marked = _phone_case(book, "cb-4", "no words in the message")
    agent = _headers(auth, Role.INTAKE_AGENT)
    nothing_to_do = api.post(f"/api/v1/cases/{plain}/called-back", json={"reached": True}, headers=agent)
    assert nothing_to_do.status_code in (409, 422) and "not marked" in nothing_to_do.text
    handler = _headers(auth, Role.UNIT_HANDLER, "env")
    assert api.post(f"/api/v1/cases/{marked}/called-back", json={"reached": True}, headers=handler).status_code in (
        403,
        404,
    )
    assert api.post(f"/api/v1/cases/{marked}/called-back", json={}, headers=agent).status_code == 422
    assert api.post("/api/v1/cases/99999999/called-back", json={"reached": True}, headers=agent).status_code == 404
