"""Signing in, tokens, people and keys: the open doors of issue 16's security trial, each kept shut.

The real application over the real PostgreSQL (FastAPI's test client), with the test's clock:
what the trial sent, and what it must get now (a refusal with its reason, never a 500).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.models import AccessToken, AuditEntry
from common.settings import Settings
from hotline.bootstrap import bootstrap_casebook
from ivr.lines import load_lines

PASSWORD = "a-long-password"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def people(auth: AuthService) -> Iterator[dict[str, str]]:
    """An administrator and an agent of this test's own; the sign-in counts are cleared after."""
    stamp = auth.now().strftime("%y%m%d%H%M%S%f")
    names = {"admin": f"adm-{stamp}", "agent": f"agt-{stamp}"}
    auth.create_user(names["admin"], Role.ADMIN, password=PASSWORD)
    auth.create_user(names["agent"], Role.INTAKE_AGENT, password=PASSWORD)
    yield names
    auth.throttle.forget_all()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _login(api: TestClient, name: str, password: str = PASSWORD) -> object:
    return api.post(LOGIN, json={"username": name, "password": password})


# --- throttling and lockout -------------------------------------------------------------------------
def test_security_wrong_passwords_in_a_row_make_the_next_attempt_wait_even_with_the_right_one(
    api: TestClient, people: dict[str, str], clock: FixedClock
) -> None:
    name = people["agent"]
    assert [_login(api, name, "wrong-password-1").status_code for _ in range(3)] == [401, 401, 401]
    refused = _login(api, name, "wrong-password-1")
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_attempts"
    assert refused.headers["Retry-After"] == "2" and "try again in 2 s" in refused.json()["detail"]
    assert _login(api, name).status_code == 429  # the right password waits as well
    clock.advance(seconds=2)
    assert _login(api, name).status_code == 200
    assert [_login(api, name, "wrong-password-1").status_code for _ in range(3)] == [401, 401, 401]  # cleared


def test_security_ten_wrong_passwords_lock_the_name_until_an_administrator_unlocks_it(
    api: TestClient, auth: AuthService, people: dict[str, str], clock: FixedClock
) -> None:
    name = people["agent"]
    answers = []
    for _ in range(10):
        answers.append(_login(api, name, "wrong-password-1").status_code)
        clock.advance(seconds=61)  # waiting each time, as a patient guesser would
    assert answers == [401] * 10
    locked = _login(api, name)
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
    assert int(locked.headers["Retry-After"]) > 25 * 60
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    listed = {u["username"]: u for u in api.get("/api/v1/users", headers=admin).json()}
    assert listed[name]["locked_until"] is not None
    unlocked = api.post(f"/api/v1/users/{name}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert _login(api, name).status_code == 200


def test_security_parallel_guesses_cannot_slip_past_the_count(auth: AuthService, people: dict[str, str]) -> None:
    """Each attempt is counted before its password is checked: ten guesses sent at once."""
    from concurrent.futures import ThreadPoolExecutor

    from casebook.auth.errors import TooManyAttempts

    def guess(_: int) -> str:
        try:
            return "wrong" if auth.sign_in(people["agent"], "wrong-password-1") is None else "in"
        except TooManyAttempts:
            return "waits"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(guess, range(10)))
    assert outcomes.count("wrong") == 3 and outcomes.count("waits") == 7, outcomes


def test_security_an_unknown_user_name_answers_as_slowly_as_a_known_one(
    api: TestClient, auth: AuthService, people: dict[str, str], clock: FixedClock
) -> None:
    """The trial told names apart by time (1.7 ms unknown, 42 ms known): both now cost a scrypt."""
    known, unknown = [], []
    for attempt in range(6):
        for name, times in ((people["agent"], known), (f"nobody-{attempt}-{people['agent']}", unknown)):
            started = time.perf_counter()
            assert _login(api, name, "wrong-password-1").status_code == 401
            times.append(time.perf_counter() - started)
        auth.throttle.forget_all()
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


# --- passwords and names --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "4 different characters"),
        (" " * 10, "only spaces"),
        ("{name}", "user name"),
        ("{name}-2026", "user name"),
        ("1234567890", "most common"),
        ("Qwertyuiop", "most common"),
        ("woaini1314", "most common"),
        ("short", "at least"),
        ("\t\t\t\t\t\tabcd", "at least"),  # the second trial's: tabs, zero-width and full-width characters
        ("abc" + "\u200b" * 10, "at least"),
        ("\u200b" * 10, "only spaces"),
        ("ａｂｃｄｅｆｇｈｉｊ", "most common"),
        ("Password123!", "most common"),
        ("abcdabcdabcd", "repeated"),
    ],
)
def test_security_weak_passwords_are_refused_with_the_reason(
    api: TestClient, auth: AuthService, people: dict[str, str], password: str, reason: str
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    name = f"new-{people['agent']}"
    body = {"username": name, "role": "intake_agent", "password": password.format(name=name)}
    answer = api.post("/api/v1/users", json=body, headers=admin)
    assert answer.status_code == 422 and reason in str(answer.json()["detail"]), answer.text


def test_security_a_user_name_is_taken_whatever_the_case_of_its_letters(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    body = {"username": people["agent"].upper(), "role": "admin", "password": "another-long-password"}
    answer = api.post("/api/v1/users", json=body, headers=admin)
    assert answer.status_code == 409 and "exists already" in answer.json()["detail"]
    assert _login(api, people["agent"].upper()).status_code == 200  # and it signs in as the one person


@pytest.mark.parametrize(
    ("made", "alike"), [("rnary", "mary"), ("li.wang", "ll_wang"), ("boss0", "BOSSO"), ("vvu", "wu"), ("chen", "chen.")]
)
def test_security_a_user_name_that_reads_like_another_is_refused_by_the_api_and_the_csv(
    api: TestClient, auth: AuthService, people: dict[str, str], made: str, alike: str
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    stamp = people["agent"].split("-")[1][-6:].translate(str.maketrans("0123456789", "abcdefghjk"))
    first, second = f"{stamp}{made}", f"{stamp}{alike}"
    body = {"role": "intake_agent", "password": "another-long-password"}
    assert api.post("/api/v1/users", json={**body, "username": first}, headers=admin).status_code == 201
    answer = api.post("/api/v1/users", json={**body, "username": second}, headers=admin)
    assert answer.status_code == 409 and f"reads like the existing '{first}'" in answer.json()["detail"]
    csv = f"username,display_name,role,unit\r\n{second},,intake_agent,\r\n".encode()
    imported = api.post("/api/v1/users.csv", content=csv, headers={**admin, "content-type": "text/csv"})
    assert imported.status_code == 422 and f"reads like '{first}'" in imported.json()["detail"]
    apart = api.post("/api/v1/users", json={**body, "username": f"{made}-x{stamp}"}, headers=admin)
    assert apart.status_code == 201  # a name that reads apart is welcome


# --- tokens ----------------------------------------------------------------------------------------------
def test_security_a_token_ends_when_its_person_signs_out(api: TestClient, people: dict[str, str]) -> None:
    token = _login(api, people["agent"]).json()["access_token"]  # type: ignore[attr-defined]
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    assert api.post("/api/v1/auth/logout", headers=_bearer(token)).status_code == 204
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_security_a_disabled_person_is_signed_out_everywhere_and_cannot_sign_in(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    tokens = [auth.login(people["agent"], PASSWORD) or "" for _ in range(2)]  # two browsers
    disabled = api.patch(f"/api/v1/users/{people['agent']}", json={"active": False}, headers=admin)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert [api.get("/api/v1/me", headers=_bearer(t)).status_code for t in tokens] == [401, 401]
    assert _login(api, people["agent"]).status_code == 401
    api.patch(f"/api/v1/users/{people['agent']}", json={"active": True}, headers=admin)
    assert _login(api, people["agent"]).status_code == 200


def test_security_an_administrator_signs_a_person_out_everywhere(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    token = auth.login(people["agent"], PASSWORD) or ""
    answer = api.post(f"/api/v1/users/{people['agent']}/sign-out", headers=admin)
    assert answer.status_code == 200 and answer.json()["tokens_revoked"] >= 1
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_security_a_token_ends_after_half_an_hour_unused_and_refreshing_has_an_end(
    api: TestClient, people: dict[str, str], clock: FixedClock
) -> None:
    signed_in = _login(api, people["agent"]).json()  # type: ignore[attr-defined]
    token = signed_in["access_token"]
    clock.advance(minutes=25)
    refreshed = api.post("/api/v1/auth/refresh", headers=_bearer(token))
    assert refreshed.status_code == 200
    new = refreshed.json()["access_token"]
    clock.advance(minutes=2)  # the old token served requests on their way for a minute only
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert api.get("/api/v1/me", headers=_bearer(new)).status_code == 200
    clock.advance(minutes=31)
    assert api.get("/api/v1/me", headers=_bearer(new)).status_code == 401  # unused for 31 minutes
    # refreshed every 20 minutes, the sign-in still ends after 12 hours
    token = _login(api, people["agent"]).json()["access_token"]  # type: ignore[attr-defined]
    for _ in range(36):
        clock.advance(minutes=20)
        answer = api.post("/api/v1/auth/refresh", headers=_bearer(token))
        if answer.status_code != 200:
            break
        token = answer.json()["access_token"]
    assert answer.status_code == 401 and "log in again" in answer.json()["detail"]


def test_security_the_bootstrap_administrator_token_ends(book: CaseBook, auth: AuthService, tmp_path: object) -> None:
    """The development admin token never expired; now a start gives it 30 days (a day elsewhere)."""
    token = f"dev-token-{auth.now().timestamp()}-long-enough"
    settings = Settings(_env_file=None, environment="development", admin_token=token)  # type: ignore[call-arg]
    bootstrap_casebook(settings, book.sessions, auth, load_lines())
    with book.sessions() as s:
        from casebook.auth.services import digest

        row = s.scalar(select(AccessToken).where(AccessToken.token_hash == digest(token)))
        assert row is not None and row.expires_at is not None
        assert row.expires_at - auth.now() <= timedelta(days=30, minutes=1)


# --- keys ------------------------------------------------------------------------------------------------
def test_security_api_keys_are_listed_without_their_secret_refused_twice_and_revoked(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    name = f"mailbox-{people['admin']}"
    made = api.post("/api/v1/api-keys", json={"name": name, "channel": "web"}, headers=admin)
    assert made.status_code == 201
    key = made.json()["api_key"]
    again = api.post("/api/v1/api-keys", json={"name": name, "channel": "web"}, headers=admin)
    assert again.status_code == 409 and "exists already" in again.json()["detail"]  # was silently replaced
    listed = api.get("/api/v1/api-keys", headers=admin)
    assert key not in listed.text and any(k["name"] == name and k["active"] for k in listed.json())
    report = {"service_code": "urban.sanitation", "address_string": "正街", "description": "垃圾", "api_key": key}
    assert api.post("/open311/v2/requests.json", data=report).status_code == 200
    revoked = api.delete(f"/api/v1/api-keys/{name}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False and revoked.json()["revoked_at"]
    assert api.post("/open311/v2/requests.json", data=report).status_code == 403


# --- the audit log ----------------------------------------------------------------------------------------
def test_an_administrators_change_is_audited_with_who_where_before_and_after(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    api.patch(f"/api/v1/users/{people['agent']}", json={"role": "supervisor"}, headers=admin)
    found = api.get("/api/v1/audit", params={"target": f"user:{people['agent']}"}, headers=admin).json()
    change = next(e for e in found["entries"] if e["action"] == "PATCH /api/v1/users/{username}")
    assert change["actor"] == people["admin"] and change["role"] == "admin" and change["address"] == "testclient"
    assert change["before"]["role"] == "intake_agent" and change["after"]["role"] == "supervisor"
    reset = api.post(f"/api/v1/users/{people['agent']}/password", headers=admin)
    password = reset.json()["password"]
    assert _login(api, people["agent"], password).status_code == 200
    log = api.get("/api/v1/audit.csv", params={"actor": people["admin"]}, headers=admin)
    assert log.text.startswith("\ufeffid,at,actor") and "/password" in log.text and password not in log.text


def test_a_refused_sign_in_is_audited_and_no_password_is_kept(api: TestClient, people: dict[str, str]) -> None:
    _login(api, people["agent"], "wrong-password-7")
    admin = _bearer(_login(api, people["admin"]).json()["access_token"])  # type: ignore[attr-defined]
    entries = api.get("/api/v1/audit", params={"actor": people["agent"]}, headers=admin).json()["entries"]
    refused = next(e for e in entries if e["action"] == f"POST {LOGIN}")
    assert refused["outcome"] == 401 and refused["asked"]["password"] == "***"


def test_the_audit_log_cannot_be_changed_or_emptied_in_the_database(api: TestClient, book: CaseBook) -> None:
    api.post(LOGIN, json={"username": "nobody-at-all", "password": "wrong-password-1"})
    for statement in (
        update(AuditEntry).values(actor="someone-else"),
        text("DELETE FROM audit_entries"),
        text("TRUNCATE audit_entries"),
    ):
        with book.sessions() as s, pytest.raises(DBAPIError, match="append-only"):
            s.execute(statement)
            s.commit()


def test_administrators_cannot_lock_themselves_out(api: TestClient, auth: AuthService, people: dict[str, str]) -> None:
    admin = _bearer(auth.login(people["admin"], PASSWORD) or "")
    for change in ({"active": False}, {"role": "supervisor"}):
        answer = api.patch(f"/api/v1/users/{people['admin']}", json=change, headers=admin)
        assert answer.status_code == 403 and "their own" in answer.json()["detail"]


# --- the second trial's findings ------------------------------------------------------------------------
def test_security_guessing_the_current_password_with_a_stolen_token_is_throttled(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    token = _bearer(auth.login(people["agent"], PASSWORD) or "")
    guesses = [
        api.post("/api/v1/auth/password", json={"current": f"guess-{n}-long", "new": "Brute9!-Force"}, headers=token)
        for n in range(5)
    ]
    assert [g.status_code for g in guesses] == [403, 403, 403, 429, 429]
    right = api.post("/api/v1/auth/password", json={"current": PASSWORD, "new": "Brute9!-Force"}, headers=token)
    assert right.status_code == 429  # the right one waits too, as at sign-in


def test_security_a_new_password_ends_the_other_sign_ins_but_this_one(
    api: TestClient, auth: AuthService, people: dict[str, str]
) -> None:
    mine, thief = (_bearer(auth.login(people["agent"], PASSWORD) or "") for _ in range(2))
    ticket = api.post("/api/v1/cases/links", json={"path": "/api/v1/cases/1/recordings/x"}, headers=thief)
    changed = api.post("/api/v1/auth/password", json={"current": PASSWORD, "new": "Brute9!-Force"}, headers=mine)
    assert changed.status_code == 204
    assert api.get("/api/v1/me", headers=mine).status_code == 200
    assert api.get("/api/v1/me", headers=thief).status_code == 401
    assert ticket.status_code == 404  # (no such case: tickets are covered below)


def test_security_signing_out_ends_the_sign_ins_tickets_and_refreshed_copies(
    api: TestClient, auth: AuthService, book: CaseBook, people: dict[str, str]
) -> None:
    from casebook.cases.intake import NewAppeal
    from tests.unit.conftest import AGENT

    number = book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT).number
    book.attach(number, AGENT, name="a.txt", data="已现场查看".encode())
    token = auth.login(people["agent"], PASSWORD) or ""
    path = (
        f"/api/v1/cases/{number}/attachments/"
        + api.get(f"/api/v1/cases/{number}", headers=_bearer(token)).json()["attachments"][0]["id"].__str__()
    )
    link = api.post("/api/v1/cases/links", json={"path": path}, headers=_bearer(token)).json()["url"]
    assert api.get(link).status_code == 200
    copies = [api.post("/api/v1/auth/refresh", headers=_bearer(token)).json()["access_token"] for _ in range(2)]
    assert api.post("/api/v1/auth/logout", headers=_bearer(copies[0])).status_code == 204
    assert api.get(link).status_code == 401  # the ticket in the browser's history ends with the sign-in
    assert [api.get("/api/v1/me", headers=_bearer(t)).status_code for t in (token, *copies)] == [401, 401, 401]


def test_security_two_administrators_disabling_each_other_at_once_leave_one(
    auth: AuthService, people: dict[str, str]
) -> None:
    """The trial's race: A disables B while B disables A (8 of 8 runs left no administrator)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import update as sql_update

    from casebook.auth.people import People
    from casebook.cases.errors import Forbidden
    from casebook.db.models import User

    a, b = people["admin"], f"{people['admin']}-b"
    auth.create_user(b, Role.ADMIN, password=PASSWORD)
    with auth.sessions() as s:  # these two are the center's only active administrators
        s.execute(sql_update(User).where(User.role == "admin", User.username.not_in([a, b])).values(active=False))
        s.commit()
    try:

        def disable(who_by: tuple[str, str]) -> str:
            try:
                People(auth).edit(who_by[0], who_by[1], active=False)
                return "done"
            except Forbidden:
                return "refused"

        for _ in range(3):
            with ThreadPoolExecutor(2) as pool:
                outcomes = sorted(pool.map(disable, [(b, a), (a, b)]))
            assert outcomes == ["done", "refused"], outcomes
            with auth.sessions() as s:
                assert s.query(User).filter(User.role == "admin", User.active).count() == 1
                s.execute(sql_update(User).where(User.username.in_([a, b])).values(active=True))
                s.commit()
    finally:
        with auth.sessions() as s:
            s.execute(sql_update(User).where(User.role == "admin").values(active=True))
            s.commit()
