"""The native API behind the role checks: who may read what, who may act, and clear 4xx errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook

PEOPLE = {
    "agent": (Role.INTAKE_AGENT, None),
    "env-handler": (Role.UNIT_HANDLER, "env"),
    "water-handler": (Role.UNIT_HANDLER, "water"),
    "supervisor": (Role.SUPERVISOR, None),
    "leader": (Role.LEADER, None),
    "admin": (Role.ADMIN, None),
}


@pytest.fixture
def tokens(auth: AuthService) -> dict[str, dict[str, str]]:
    headers = {}
    suffix = auth.now().strftime("%y%m%d%H%M%S%f")
    for name, (role, unit) in PEOPLE.items():
        username = f"{name}-{suffix}"
        auth.create_user(username, role, unit=unit, password="a-long-password")
        headers[name] = {"Authorization": f"Bearer {auth.login(username, 'a-long-password')}"}
    return headers


def _new_case(api: TestClient, tokens: dict[str, dict[str, str]], text: str = "夜间施工噪音太大，严重扰民") -> str:
    answer = api.post(
        "/api/v1/cases",
        json={"channel": "web", "description": text, "caller_number": "13800000031"},
        headers=tokens["agent"],
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "dispatched" and body["lead_unit"] == "env"  # screened and routed at once
    for field in (
        "number",
        "status",
        "channel",
        "line",
        "caller_number",
        "description",
        "transcript",
        "category",
        "place",
        "lead_unit",
        "co_units",
        "duplicate_of",
        "satisfaction",
        "register_due",
        "dispatch_due",
        "accept_due",
        "reply_due",
        "registered_at",
        "dispatched_at",
        "accepted_at",
        "replied_at",
    ):
        assert field in body
    return str(body["number"])


def test_nobody_reads_without_logging_in(api: TestClient) -> None:
    assert api.get("/api/v1/cases").status_code == 401
    assert api.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert api.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_a_unit_sees_and_acts_on_its_own_cases_only(api: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    number = _new_case(api, tokens)
    assert api.get(f"/api/v1/cases/{number}", headers=tokens["env-handler"]).status_code == 200
    assert api.get(f"/api/v1/cases/{number}", headers=tokens["water-handler"]).status_code == 404
    listed = api.get("/api/v1/cases", params={"limit": 500}, headers=tokens["water-handler"]).json()["items"]
    assert number not in [c["number"] for c in listed]
    # an action tells another unit no more than reading does: "no case", whatever the state or the rule
    for action, body in (("accept", {"section": "rivers"}), ("reply", {"text": "x"}), ("return", {"reason": "x"})):
        refused = api.post(f"/api/v1/cases/{number}/{action}", json=body, headers=tokens["water-handler"])
        missing = api.post(f"/api/v1/cases/99999999999/{action}", json=body, headers=tokens["water-handler"])
        assert (refused.status_code, missing.status_code) == (404, 404), (action, refused.text)
        assert refused.json()["detail"] == f"no case {number}" and missing.json()["detail"] == "no case 99999999999"
    accepted = api.post(f"/api/v1/cases/{number}/accept", json={"section": "inspection"}, headers=tokens["env-handler"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


@pytest.mark.parametrize(
    ("who", "action", "body", "expected"),
    [
        ("agent", "reply", {"text": "x"}, 403),
        ("leader", "dispatch", {"lead_unit": "water"}, 403),
        ("admin", "register", {"category": "general"}, 403),
        ("supervisor", "reply", {"text": "x"}, 409),  # may reply, but not before the unit accepted
        ("env-handler", "close", {"reason": "x"}, 403),
        ("agent", "leader-decision", {"decision": "x", "deadline": "2099-01-01T00:00:00Z"}, 403),
    ],
)
def test_the_role_matrix(
    api: TestClient, tokens: dict[str, dict[str, str]], who: str, action: str, body: dict, expected: int
) -> None:
    number = _new_case(api, tokens)
    answer = api.post(f"/api/v1/cases/{number}/{action}", json=body, headers=tokens[who])
    assert answer.status_code == expected, answer.text
    assert answer.json()["detail"]


def test_the_whole_ladder_over_the_api(api: TestClient, tokens: dict[str, dict[str, str]], book: CaseBook) -> None:
    number = _new_case(api, tokens)
    env, agent, sup, leader = tokens["env-handler"], tokens["agent"], tokens["supervisor"], tokens["leader"]
    path = f"/api/v1/cases/{number}"
    assert api.post(f"{path}/accept", json={"section": "inspection"}, headers=env).status_code == 200
    assert api.post(f"{path}/reply", json={"text": "已责令停工"}, headers=env).status_code == 200
    assert (
        api.post(f"{path}/satisfaction", json={"verdict": "unsatisfied", "source": "callback"}, headers=agent).json()[
            "status"
        ]
        == "reopened"
    )
    when = (book.clock.now() + timedelta(days=1)).isoformat()
    assert (
        api.post(f"{path}/interview", json={"at": when, "location": "约谈室"}, headers=sup).json()["status"]
        == "interview"
    )
    assert (
        api.post(f"{path}/interview/outcome", json={"satisfied": False}, headers=env).json()["status"]
        == "leader_review"
    )
    deadline = (book.clock.now() + timedelta(days=3)).isoformat()
    decided = api.post(f"{path}/leader-decision", json={"decision": "限期整改", "deadline": deadline}, headers=leader)
    assert decided.status_code == 200 and decided.json()["leader_due"] is not None
    view = api.get(path, headers=sup).json()
    assert [e["kind"] for e in view["events"]][-4:] == [
        "unsatisfied",
        "schedule_interview",
        "interview_unsatisfied",
        "leader_decision",
    ]
    assert all({"at", "actor", "kind", "reason"} <= set(e) for e in view["events"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"channel": "web"}, "description"),
        ({"channel": "web", "description": "x" * 4001}, "4000"),
        ({"channel": "web", "description": "x", "caller_number": "12-ab"}, "phone"),
        ({"channel": "pigeon", "description": "x"}, "channel"),
        ({"channel": "web", "description": "x", "unexpected": 1}, "unexpected"),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason(
    api: TestClient, tokens: dict[str, dict[str, str]], body: dict, fragment: str
) -> None:
    answer = api.post("/api/v1/cases", json=body, headers=tokens["agent"])
    assert 400 <= answer.status_code < 500
    assert fragment in answer.text


def test_wrong_case_numbers_and_cursors(api: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    assert api.get("/api/v1/cases/99999999999", headers=tokens["agent"]).status_code == 404
    assert api.get("/api/v1/cases/abc", headers=tokens["agent"]).status_code == 422
    assert api.get("/api/v1/cases", params={"cursor": "garbage"}, headers=tokens["agent"]).status_code == 422
    unknown = api.get("/api/v1/cases", params={"caller": "13900000002"}, headers=tokens["agent"])
    assert unknown.status_code == 422 and "unknown filter 'caller'" in unknown.text and "caller_number" in unknown.text


def test_routing_rules_are_data_an_admin_edits(
    api: TestClient, tokens: dict[str, dict[str, str]], book: CaseBook
) -> None:
    rules = api.get("/api/v1/routing-rules", headers=tokens["admin"]).json()
    assert rules[0]["category"] == "environment.dead-animals"
    assert api.put("/api/v1/routing-rules", json={"rules": rules}, headers=tokens["agent"]).status_code == 403
    noise_first = [{"category": "environment.noise", "lead": "urban"}] + [
        {k: v for k, v in r.items() if k != "position"} for r in rules
    ]
    assert api.put("/api/v1/routing-rules", json={"rules": noise_first}, headers=tokens["admin"]).status_code == 200
    try:
        answer = api.post(
            "/api/v1/cases", json={"channel": "web", "description": "工地噪音扰民"}, headers=tokens["agent"]
        )
        assert answer.json()["lead_unit"] == "urban"
    finally:
        api.put(
            "/api/v1/routing-rules",
            json={"rules": [{k: v for k, v in r.items() if k != "position"} for r in rules]},
            headers=tokens["admin"],
        )
    bad = api.put(
        "/api/v1/routing-rules", json={"rules": [{"category": "nope", "lead": "env"}]}, headers=tokens["admin"]
    )
    assert bad.status_code == 422 and "unknown category" in bad.json()["detail"]


def test_times_without_a_zone_are_the_centers_local_time_not_a_server_error(
    api: TestClient, tokens: dict[str, dict[str, str]], book: CaseBook
) -> None:
    number = _new_case(api, tokens)
    env, agent, sup, leader = tokens["env-handler"], tokens["agent"], tokens["supervisor"], tokens["leader"]
    path = f"/api/v1/cases/{number}"
    api.post(f"{path}/accept", json={"section": "inspection"}, headers=env)
    api.post(f"{path}/reply", json={"text": "已责令停工"}, headers=env)
    api.post(f"{path}/satisfaction", json={"verdict": "unsatisfied"}, headers=agent)
    long_ago = api.post(f"{path}/interview", json={"at": "2020-01-01T09:00:00"}, headers=sup)
    assert long_ago.status_code == 422 and "week back" in long_ago.text
    tomorrow = (book.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")  # no zone
    assert api.post(f"{path}/interview", json={"at": tomorrow}, headers=sup).status_code == 200
    api.post(f"{path}/interview/outcome", json={"satisfied": False}, headers=env)
    a_date = (book.clock.now() + timedelta(days=5)).strftime("%Y-%m-%d")  # a date, no time, no zone
    decided = api.post(f"{path}/leader-decision", json={"decision": "限期整改", "deadline": a_date}, headers=leader)
    assert decided.status_code == 200, decided.text
    due = datetime.fromisoformat(decided.json()["leader_due"].replace("Z", "+00:00"))
    assert due.utcoffset() == timedelta(0)  # answered in UTC...
    assert due == datetime.fromisoformat(a_date).replace(tzinfo=book.tz)  # ...for midnight at the center


def test_refusals_say_which_role_may_not_do_what(api: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    body = {"username": "someone", "role": "intake_agent", "password": "a-long-password"}
    answer = api.post("/api/v1/users", json=body, headers=tokens["agent"])
    assert answer.status_code == 403
    assert answer.json()["detail"] == "the role intake_agent may not manage users and API keys"


def test_a_taken_user_name_is_a_conflict(api: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    body = {"username": "same-name", "role": "intake_agent", "password": "a-long-password"}
    first = api.post("/api/v1/users", json=body, headers=tokens["admin"])
    again = api.post("/api/v1/users", json=body, headers=tokens["admin"])
    assert first.status_code in (201, 409) and again.status_code == 409
    assert "exists already" in again.text


def test_a_case_an_agent_registers_by_hand_is_left_to_them_by_the_screening_sweep(
    api: TestClient, tokens: dict[str, dict[str, str]], book: CaseBook
) -> None:
    # "screen": false: the agent at the counter registers it; the minute's sweep of unscreened
    # cases (the process that died before screening) must not take it from them and dispatch it
    from casebook.cases.screening import screen_pending

    body = {"channel": "walk-in", "description": "五津镇河边有死猪，请尽快处理", "screen": False}
    by_hand = api.post("/api/v1/cases", json=body, headers=tokens["agent"]).json()["number"]
    left = api.post("/api/v1/cases", json={**body, "screen": True}, headers=tokens["agent"]).json()["number"]
    book.clock.advance(minutes=5)  # type: ignore[attr-defined]
    screen_pending(book)
    assert api.get(f"/api/v1/cases/{by_hand}", headers=tokens["agent"]).json()["status"] == "received"
    assert api.get(f"/api/v1/cases/{left}", headers=tokens["agent"]).json()["status"] != "received"
