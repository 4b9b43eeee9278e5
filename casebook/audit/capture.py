"""Every request that changes something leaves an audit entry: a dependency of every route.

`audited` is declared once, on the application (casebook/api/app.py), so every route has it,
a new one included: on a POST, PUT, PATCH or DELETE it reads the thing the route changes
(casebook/audit/subjects.py) before the route runs and after it returns, and writes who (the
person the token names, or the Open311 client), when, from which address, what was asked
(secrets masked) and the outcome, before the answer leaves (`scope="function"`). A refusal is
kept too when it says something an auditor wants: a sign-in refused, a 403.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from casebook.audit.services import AuditLog, Record
from casebook.audit.subjects import subject_of
from casebook.auth.policy import Actor
from casebook.cases.errors import CasebookError

log = logging.getLogger(__name__)
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT_REFUSALS = frozenset({401, 403, 429})  # who tried what they may not: an auditor's question


async def audited(connection: HTTPConnection) -> AsyncIterator[None]:
    """(A live socket changes nothing by itself: what it asks for is done by HTTP routes.)"""
    if not isinstance(connection, Request) or connection.method not in CHANGES:
        yield
        return
    request = connection
    audit = request.app.state.services.audit
    assert isinstance(audit, AuditLog)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    target, facts = subject_of(path, dict(request.path_params))
    before = await run_in_threadpool(_read, audit, facts) if facts else None
    asked = await _asked(request)
    outcome = getattr(route, "status_code", None) or 200  # what the route answers when it succeeds (201, 204...)
    try:
        yield
    except HTTPException as exc:
        outcome = exc.status_code
        raise
    except CasebookError as exc:
        outcome = exc.status_code
        raise
    except RequestValidationError:
        outcome = 422
        raise
    except Exception:
        outcome = 500
        raise
    finally:
        if outcome < 400 or outcome in KEPT_REFUSALS:
            after = await run_in_threadpool(_read, audit, facts) if facts and outcome < 400 else None
            note: dict[str, Any] = getattr(request.state, "audit", None) or {}
            record = Record(
                actor=_actor_name(request),
                role=_actor_role(request),
                address=request.client.host if request.client else None,
                action=f"{request.method} {path}",
                target=note.get("target", target),
                outcome=outcome,
                asked=asked,
                before=note.get("before", before),
                after=note.get("after", after),
            )
            try:
                await run_in_threadpool(audit.record, record)
            except Exception:  # the change itself is made: say loudly that its entry is not
                log.exception("the audit entry of %s %s could not be written", request.method, path)
                raise


def _read(audit: AuditLog, facts: Any) -> Any:
    with audit.sessions() as s:
        return facts(s)


async def _asked(request: Request) -> dict[str, Any] | None:
    """The request's JSON fields (a form's or a file's are not kept: their case keeps them)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = await request.body()
        value = json.loads(body) if body else None
    except (RuntimeError, ValueError):
        return None
    return value if isinstance(value, dict) else ({"items": value} if value is not None else None)


def _actor_name(request: Request) -> str:
    actor = getattr(request.state, "audit_actor", None)
    if isinstance(actor, Actor):
        return actor.name
    return str(actor) if actor else "anonymous"


def _actor_role(request: Request) -> str | None:
    actor = getattr(request.state, "audit_actor", None)
    return actor.role.value if isinstance(actor, Actor) else None
