"""Schemathesis over the whole HTTP API the platform serves: whatever the input, never a server error.

The application is the platform's own (`Platform.api`: the case API, Open311, reports, metrics,
the agent desk's and the wallboard's routes), on the real PostgreSQL, without Asterisk (the
telephony routes answer 503 with a reason, which is a pass). Runs as every role that has powers
(a supervisor, the widest case powers; an administrator, directory and people; an intake agent,
a unit handler, a leader) and as nobody. A 4xx with a reason is a pass; a 500 is a failure, and
so is an answer whose body does not match the schema the API documents for its status.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from casebook.auth.policy import Role
from common.settings import Settings
from hotline.platform import Platform

HEADERS: dict[str, dict[str, str]] = {}
ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.INTAKE_AGENT, Role.UNIT_HANDLER, Role.LEADER)


def _platform(database_url: str, data_dir: Path) -> Platform:
    return Platform(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url,
            data_dir=data_dir,
            ari_password=SecretStr(secrets.token_urlsafe(24)),
            ami_password=SecretStr(secrets.token_urlsafe(24)),
        )
    )


# Schemathesis reads the schema when this module is imported, before any fixture: the app is the
# platform's, built on a database it never reaches; the fixture gives it the test database's
# services (every route finds them on app.state) before any request is made.
APP = _platform("postgresql+psycopg://unused@127.0.0.1:1/unused", Path(tempfile.mkdtemp(prefix="fuzz-"))).api(
    telephony=False
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def wired(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # a database of its own: as an administrator the fuzzer rewrites routing rules and deadline
    # policies at random, which other tests' cases would then be dispatched by
    platform = _platform(own_database, Path(tmp_path_factory.mktemp("fuzz")))
    fresh = platform.api(telephony=False).state
    APP.state.services = fresh.services
    APP.state.line_store = fresh.line_store  # the lines' routes keep their own store
    stamp = secrets.token_hex(4)
    for role in ROLES:
        name = f"fuzz-{role.value}-{stamp}"
        unit = "env" if role == Role.UNIT_HANDLER else None
        platform.auth.create_user(name, role, password="a-long-password", unit=unit)
        HEADERS[role.value] = {"Authorization": f"Bearer {platform.auth.issue_token(name)}"}
    HEADERS["nobody"] = {}
    yield
    screener = getattr(APP.state.services.screen_later, "__self__", None)
    if screener is not None:  # Open311 intake screens in a thread: let it finish first
        screener.drain(10)
    platform.engine.dispose()


def no_server_error(ctx: Any, response: Any, case: Any) -> bool:
    """A 500 fails. A 503 `no_telephony` passes: the agent desk and the wallboard (and any feature
    served by the telephony process only) answer so in a process without it, as this one is; they
    are fuzzed no further here."""
    if response.status_code == 503 and _error_id(response) == "no_telephony":
        return True
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")
    return True


def _error_id(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


# One test per operation, each with an id of its own ("POST /api/v1/cases"): schemathesis's own
# parametrize gives all of them one node id, and pytest-xdist would run only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_input_makes_the_api_fail(operation: Any) -> None:
    modes = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]

    @given(case=st.one_of(modes))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def every_role_sends(case: Any) -> None:
        for who in HEADERS:
            case.call_and_validate(headers=HEADERS[who], checks=[no_server_error, response_schema_conformance])

    every_role_sends()
