"""Signing in with the county's staff directory: a real OpenLDAP server (Debian's slapd,
tests/directory.py), the real application over PostgreSQL.

People the administrator made without a password sign in with their directory password; local
accounts keep their own, even when the directory is down.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.directory import CountyDirectory, DirectorySettings
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.reports.services import ReportService
from tests.directory import PEOPLE, READER, READER_PASSWORD, county_directory

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def directory_url(tmp_path: Path) -> Iterator[str]:
    with county_directory(tmp_path / "ldap", {"zhangsan": "directory-pass-1", "lisi": "directory-pass-2"}) as url:
        yield url


def _app(book: CaseBook, url: str) -> tuple[TestClient, AuthService]:
    directory = CountyDirectory(DirectorySettings(url, PEOPLE, bind_dn=READER, bind_password=READER_PASSWORD))
    auth = AuthService(book.sessions, book.clock, directory=directory)
    return TestClient(create_app(Services(book, auth, ReportService(book.sessions, book.recordings_dir)))), auth


def test_a_person_made_without_a_password_signs_in_with_the_county_directory(
    book: CaseBook, directory_url: str
) -> None:
    api, auth = _app(book, directory_url)
    stamp = str(time.time_ns())[-6:]
    admin = f"dir-admin-{stamp}"
    auth.create_user(admin, Role.ADMIN, password="a-long-password")
    token = auth.login(admin, "a-long-password")
    with api:
        made = api.post(
            "/api/v1/users",
            json={"username": "zhangsan", "role": "intake_agent"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code in (201, 409), made.text  # 409: made by an earlier test of this session
        signed_in = api.post(LOGIN, json={"username": "zhangsan", "password": "directory-pass-1"})
        assert signed_in.status_code == 200, signed_in.text
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}).json()
        assert me["role"] == "intake_agent"  # the role is the platform's
        assert api.post(LOGIN, json={"username": "zhangsan", "password": "directory-pass-2"}).status_code == 401
        assert api.post(LOGIN, json={"username": "ZhangSan", "password": "directory-pass-1"}).status_code == 200
    auth.throttle.forget_all()


def test_an_empty_or_injected_name_or_password_never_reaches_a_bind(directory_url: str) -> None:
    directory = CountyDirectory(DirectorySettings(directory_url, PEOPLE, bind_dn=READER, bind_password=READER_PASSWORD))
    assert directory.verify("zhangsan", "directory-pass-1")
    assert not directory.verify("zhangsan", "")  # an unauthenticated bind would succeed
    assert not directory.verify("*", "directory-pass-1")  # escaped: no entry is called "*"
    assert not directory.verify("zhangsan)(uid=*", "directory-pass-1")
    assert not directory.verify("wangwu", "directory-pass-1")  # not in the directory


def test_local_accounts_keep_working_when_the_directory_is_down_and_its_people_are_told(
    book: CaseBook, tmp_path: Path
) -> None:
    with county_directory(tmp_path / "ldap", {"lisi": "directory-pass-2"}) as url:
        api, auth = _app(book, url)
    # the directory has stopped
    stamp = str(time.time_ns())[-6:]
    auth.create_user(f"local-{stamp}", Role.SUPERVISOR, password="a-long-password")
    auth.create_user(f"lisi-{stamp}", Role.SUPERVISOR, directory_only=True)
    with api:
        assert api.post(LOGIN, json={"username": f"local-{stamp}", "password": "a-long-password"}).status_code == 200
        down = api.post(LOGIN, json={"username": f"lisi-{stamp}", "password": "directory-pass-2"})
        assert down.status_code == 503 and "county directory cannot be reached" in down.json()["detail"]
    auth.throttle.forget_all()


def test_without_a_directory_a_person_needs_a_password(auth: AuthService, api: TestClient) -> None:
    stamp = str(time.time_ns())[-6:]
    auth.create_user(f"adm-{stamp}", Role.ADMIN, password="a-long-password")
    token = auth.login(f"adm-{stamp}", "a-long-password")
    answer = api.post(
        "/api/v1/users", json={"username": f"p-{stamp}", "role": "leader"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and "no county directory" in answer.json()["detail"]
