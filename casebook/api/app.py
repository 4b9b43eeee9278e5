"""The FastAPI application: the native API (`/api/v1`), Open311 (`/open311/v2`), `/status`.

Health of parts the casebook does not own (Asterisk, the Stasis application) is reported through
checks that the composition root passes in, so this package never imports telephony. Every
error the casebook raises becomes a 4xx with its reason; Open311 paths answer in the
specification's error format (JSON or XML, by the path's extension).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from casebook.agents.routes import router as agents_router
from casebook.api import problems
from casebook.api.deps import Services, TokenDep
from casebook.api.doors import Doors
from casebook.api.headers import SecurityHeaders
from casebook.audit.capture import audited
from casebook.audit.routes import router as audit_router
from casebook.auth.policy import Role
from casebook.auth.routes import router as auth_router
from casebook.callbacks.routes import router as callbacks_router
from casebook.callbacks.routes import settings_router
from casebook.calllog.routes import router as calllog_router
from casebook.cases.errors import CasebookError
from casebook.cases.routes import router as cases_router
from casebook.classify.routes import router as models_router
from casebook.conversations.routes import router as conversations_router
from casebook.directory.admin_routes import router as directory_admin_router
from casebook.directory.routes import router as directory_router
from casebook.metrics.routes import router as metrics_router
from casebook.notifications.routes import router as notifications_router
from casebook.notifications.services import Notifications
from casebook.open311.formats import Open311Error, error_response
from casebook.open311.routes import format_of
from casebook.open311.routes import router as open311_router
from casebook.reports.routes import router as reports_router
from casebook.views.routes import router as views_router

log = logging.getLogger(__name__)
HealthCheck = Callable[[], Awaitable[dict[str, Any]]]


class ComponentHealth(BaseModel):
    ok: bool
    detail: dict[str, Any] = {}


class StatusOut(BaseModel):
    ok: bool
    components: dict[str, ComponentHealth]


def _is_open311(request: Request) -> bool:
    return request.url.path.startswith("/open311/")


def create_app(
    services: Services, checks: Mapping[str, HealthCheck] | None = None, *, connect_sources: tuple[str, ...] = ()
) -> FastAPI:
    """The API; `connect_sources`: where the pages may connect besides the platform (the browser
    softphone's Asterisk WebSocket), for their Content-Security-Policy."""
    app = FastAPI(
        title="Citizen hotline platform",
        version="0.2.0",
        description="Unified appeals center: every appeal from any channel is one case with an owner and a clock.",
        # every route, those the features add included, leaves an audit entry when it changes something
        dependencies=[Depends(audited, scope="function")],
        # the documentation pages are the platform's own (hotline/pages/routes.py): local bundles, no CDN
        docs_url=None,
        redoc_url=None,
    )
    app.router.redirect_slashes = False  # a trailing slash is 404, not a redirect built from the Host header
    if services.notifications is None:
        services.notifications = Notifications(services.book.sessions, services.book.clock)
    app.state.services = services
    app.add_middleware(Doors)
    app.add_middleware(SecurityHeaders, connect_sources=connect_sources)
    routers = (cases_router, callbacks_router, directory_router, auth_router, reports_router, open311_router)
    more = (agents_router, calllog_router, metrics_router, notifications_router, views_router, audit_router)
    recorded = (conversations_router,)
    admin = (directory_admin_router, settings_router, models_router)
    for router in (*routers, *more, *recorded, *admin):
        app.include_router(router)

    def database_ok() -> dict[str, Any]:
        with services.book.sessions() as s:
            s.execute(text("SELECT 1"))
        return {"ok": True}

    async def database() -> dict[str, Any]:
        return await run_in_threadpool(database_ok)

    all_checks: dict[str, HealthCheck] = {"database": database, **dict(checks or {})}

    @app.get("/status", response_model=StatusOut, tags=["operations"])
    async def status(request: Request, token: TokenDep) -> StatusOut:
        """Each part's health (database, Asterisk's ARI, the Stasis application, AMI, speech): to
        anyone, whether each is up; to an administrator or supervisor (a bearer token), why not
        (the details name hosts, versions and errors, which are no stranger's business)."""
        auth = request.app.state.services.auth
        actor = await run_in_threadpool(auth.actor_for_token, token) if token else None
        detailed = actor is not None and actor.role in (Role.ADMIN, Role.SUPERVISOR)
        components: dict[str, ComponentHealth] = {}
        for name, check in all_checks.items():
            try:
                result = await check()
                components[name] = ComponentHealth(ok=bool(result.get("ok")), detail=result if detailed else {})
            except Exception as exc:  # a failing dependency is reported, not raised
                log.warning("health check %s failed: %s", name, str(exc)[:200])
                detail = {"error": str(exc)[:200]} if detailed else {}
                components[name] = ComponentHealth(ok=False, detail=detail)
        return StatusOut(ok=all(c.ok for c in components.values()), components=components)

    _answer_refusals(app)
    app.openapi = problems.documented(app.openapi)  # type: ignore[method-assign]
    return app


def _answer_refusals(app: FastAPI) -> None:
    """Every refusal in one shape (`{"detail", "error"}`, casebook/api/problems.py); Open311's
    routes answer in Open311's own error format instead."""

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        log.warning("input the database cannot store: %s", str(exc.orig)[:200])
        problem = "a value in the request cannot be stored (wrong type or characters)"
        if _is_open311(request):
            return error_response(format_of(request), [(400, problem)])
        return problems.problem(422, problem, "unstorable_value")

    @app.exception_handler(CasebookError)
    async def casebook_error(request: Request, exc: CasebookError) -> Response:
        if _is_open311(request):
            return error_response(format_of(request), [(exc.status_code, str(exc))])
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return problems.problem(exc.status_code, str(exc), exc.error_id, headers)

    @app.exception_handler(Open311Error)
    async def open311_error(request: Request, exc: Open311Error) -> Response:
        answer = error_response(format_of(request), [(exc.code, exc.description)])
        if exc.retry_after is not None:
            answer.headers["Retry-After"] = str(exc.retry_after)
        return answer

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_open311(request):
            found = [(400, f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}") for e in exc.errors()]
            return error_response(format_of(request), found or [(400, "invalid request")])
        return problems.problem(422, _plain(exc.errors()), "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_open311(request):
            return error_response(format_of(request), [(exc.status_code, str(exc.detail))])
        error = exc.error if isinstance(exc, problems.Refusal) else None
        return problems.problem(exc.status_code, exc.detail, error, exc.headers)


def _plain(errors: Any) -> Any:
    """Validation errors as JSON-safe data (the input may hold bytes or odd values)."""
    safe = []
    for error in errors:
        item = {k: v for k, v in error.items() if k in ("loc", "msg", "type")}
        item["loc"] = [str(p) for p in item.get("loc", [])]
        safe.append(item)
    return safe
