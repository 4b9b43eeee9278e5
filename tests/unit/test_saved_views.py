"""A person's saved views of the case list: kept under a name, listed and removed by their owner only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from casebook.auth.services import AuthService


def _headers(auth: AuthService, name: str) -> dict[str, str]:
    auth.create_user(name, "unit_handler", unit="env", password="a-long-password")
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


def test_a_view_is_saved_listed_and_removed_by_its_owner_only(api: TestClient, auth: AuthService) -> None:
    stamp = auth.now().strftime("%y%m%d%H%M%S%f")
    li, wang = _headers(auth, f"li-{stamp}"), _headers(auth, f"wang-{stamp}")
    made = api.post("/api/v1/views", json={"name": "本周超期", "query": "?overdue=1&order=due"}, headers=li)
    assert made.status_code == 201 and made.json()["query"] == "overdue=1&order=due"
    assert [v["name"] for v in api.get("/api/v1/views", headers=li).json()] == ["本周超期"]
    assert api.get("/api/v1/views", headers=wang).json() == []  # another person's views are not theirs
    again = api.post("/api/v1/views", json={"name": "本周超期", "query": "status=accepted"}, headers=li)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    odd = api.post("/api/v1/views", json={"name": "x", "query": "a=<script>"}, headers=li)
    assert odd.status_code == 422
    assert api.post("/api/v1/views", json={"name": " ", "query": ""}, headers=li).status_code == 422
    view_id = made.json()["id"]
    assert api.delete(f"/api/v1/views/{view_id}", headers=wang).status_code == 404
    assert api.delete(f"/api/v1/views/{view_id}", headers=li).status_code == 204
    assert api.get("/api/v1/views", headers=li).json() == []
