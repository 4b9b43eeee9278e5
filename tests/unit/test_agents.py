"""Agents get phones: generated SIP passwords shown once, digests kept, admin only."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from casebook.agents.services import SIP_REALM, AgentDirectory
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.db.models import Agent


def _headers(auth: AuthService, role: Role, name: str) -> dict[str, str]:
    auth.create_user(name, role, password="a-long-password")
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


def test_an_admin_gives_an_agent_a_phone_and_sees_its_password_once(
    api: TestClient, auth: AuthService, book: CaseBook
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    admin = _headers(auth, Role.ADMIN, f"adm-{stamp}")
    auth.create_user(f"li-{stamp}", Role.INTAKE_AGENT, password="a-long-password")
    extension = stamp[-4:].lstrip("0").rjust(4, "1")
    made = api.post(
        "/api/v1/agents",
        json={"username": f"li-{stamp}", "extension": extension, "skills": {"intake": 0, "efficiency": 3}},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    password = body["sip_password"]
    assert len(password) >= 24 and body["sip_realm"] == SIP_REALM and body["skills"]["efficiency"] == 3
    with book.sessions() as s:
        agent = s.scalar(select(Agent).where(Agent.extension == extension))
        assert agent is not None
        assert agent.digest_md5 == hashlib.md5(f"{extension}:{SIP_REALM}:{password}".encode()).hexdigest()
        assert password not in str(agent.__dict__)
    listed = api.get("/api/v1/agents", headers=admin).json()
    assert any(a["extension"] == extension for a in listed) and all("sip_password" not in a for a in listed)
    again = api.post(f"/api/v1/agents/{extension}/sip-password", headers=admin).json()["sip_password"]
    assert again != password
    assert [a.extension for a in AgentDirectory(book.sessions).sip_accounts()].count(extension) == 1


def test_phones_are_refused_clearly(api: TestClient, auth: AuthService, book: CaseBook) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    admin = _headers(auth, Role.ADMIN, f"adm2-{stamp}")
    agent = _headers(auth, Role.INTAKE_AGENT, f"wang-{stamp}")
    auth.create_user(f"leader-{stamp}", Role.LEADER, password="a-long-password")
    body = {"username": f"wang-{stamp}", "extension": "2001"}
    assert api.post("/api/v1/agents", json=body, headers=agent).status_code == 403  # only an admin
    cases = [
        ({"username": f"wang-{stamp}", "extension": "0123"}, 422, "extension"),
        ({"username": f"wang-{stamp}", "extension": "12"}, 422, "extension"),
        ({"username": f"wang-{stamp}", "extension": "12345"}, 422, "hotline number"),
        ({"username": "nobody-at-all", "extension": "2002"}, 404, "no user"),
        ({"username": f"leader-{stamp}", "extension": "2003"}, 422, "agents are intake agents"),
        ({"username": f"wang-{stamp}", "extension": "2004", "skills": {"Bad Queue": 1}}, 422, "queue name"),
        ({"username": f"wang-{stamp}", "extension": "2005", "skills": {"intake": 12}}, 422, "skills"),
    ]
    for payload, status, reason in cases:
        answer = api.post("/api/v1/agents", json=payload, headers=admin)
        assert answer.status_code == status and reason in answer.text, (payload, answer.text)
    ext = str(3000 + int(stamp[-3:]))
    assert api.post("/api/v1/agents", json={**body, "extension": ext}, headers=admin).status_code == 201
    taken = api.post("/api/v1/agents", json={**body, "extension": ext}, headers=admin)
    assert taken.status_code == 409 and "has a phone already" in taken.text
    assert api.post("/api/v1/agents/9999/sip-password", headers=admin).status_code == 404
