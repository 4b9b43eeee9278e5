"""Schemathesis over the whole OpenAPI schema: whatever the input, never a server error.

Runs as a supervisor (the widest case powers) and as an administrator (directory and people),
against the real PostgreSQL. A 4xx with a reason is a pass; a 500 is a failure.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.reports.services import ReportService

# The application object exists at import (schemathesis reads its schema then); the test's
# fixture gives it its services (database, clock) before any request is made.
APP = create_app(Services(book=None, auth=None, reports=None))  # type: ignore[arg-type]
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEADERS: dict[str, dict[str, str]] = {}


@pytest.fixture(autouse=True)
def wired(book: CaseBook, auth: AuthService, reports: ReportService) -> None:
    APP.state.services = Services(book, auth, reports)
    stamp = secrets.token_hex(4)
    for role in (Role.SUPERVISOR, Role.ADMIN):
        name = f"fuzz-{role.value}-{stamp}"
        auth.create_user(name, role, password="a-long-password")
        HEADERS[role.value] = {"Authorization": f"Bearer {auth.issue_token(name)}"}


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: Any) -> None:
    for who in ("supervisor", "admin"):
        case.call_and_validate(headers=HEADERS[who], checks=[not_a_server_error])
