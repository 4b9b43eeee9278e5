"""What the routes depend on: the services container and the acting person (bearer token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from casebook.audit.services import AuditLog
from casebook.auth.policy import Actor, require
from casebook.auth.services import AuthService
from casebook.callbacks.services import CallbackService
from casebook.cases.errors import Forbidden
from casebook.cases.services import CaseBook
from casebook.notifications.services import Notifications
from casebook.open311.limits import RateLimiter
from casebook.reports.services import ReportService


@dataclass
class Services:
    book: CaseBook
    auth: AuthService
    reports: ReportService
    open311_public_reads: bool = False
    screen_later: Callable[[str, str | None], None] | None = None  # None: screen within the request
    callbacks: CallbackService | None = None  # None: callbacks with the default policy
    # whether calls are placed (a carrier is configured and callbacks are on), and why not
    callbacks_placing: tuple[bool, str] = (False, "this process places no calls: `hotline serve` does")
    notifications: Notifications | None = None  # None: the bell reads the book's database
    audit: AuditLog | None = None  # None: the audit log of the book's database
    open311_limits: RateLimiter = field(default_factory=lambda: RateLimiter(120))  # a client's requests a minute

    def __post_init__(self) -> None:
        if self.audit is None:
            self.audit = AuditLog(self.book.sessions, self.book.clock)

    def screen(self, number: str, requested_category: str | None) -> None:
        if self.screen_later is None:
            self.book.screen(number, requested_category=requested_category)
        else:
            self.screen_later(number, requested_category)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


# the bearer scheme, declared once: the API's description says which routes need a token, and
# /docs's "Authorize" takes one (auto_error off: the refusals below say what to do)
BEARER = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def bearer_token(credentials: Credentials) -> str:
    """The token of `Authorization: Bearer <token>` ("" without one)."""
    return credentials.credentials.strip() if credentials is not None else ""


TokenDep = Annotated[str, Depends(bearer_token)]


def current_actor(request: Request, svc: ServicesDep, token: TokenDep) -> Actor:
    """The person behind `Authorization: Bearer <token>`; 401 without a valid token. Kept on the
    request for the audit log (casebook/audit/capture.py)."""
    if not token:
        raise HTTPException(
            401, "log in first: send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    actor = svc.auth.actor_for_token(token)
    if actor is None:
        raise HTTPException(
            401, "the token is unknown, revoked or expired; log in again", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.audit_actor = actor
    if actor.is_system:  # `require` lets the system role do anything: a person's token never carries it
        raise HTTPException(403, "the system role is the platform's own; no person's token carries it")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def reader(
    request: Request,
    svc: ServicesDep,
    token: TokenDep,
    ticket: Annotated[str | None, Query(max_length=64)] = None,
) -> Actor:
    """The person reading a file: by bearer token, or by a ticket for this very path (what an
    <audio> element or a download link carries, casebook/auth/services.py `issue_ticket`)."""
    if ticket is None:
        return current_actor(request, svc, token)
    actor = svc.auth.actor_for_token(ticket, scope=request.url.path)
    if actor is None:
        raise HTTPException(401, "the link has expired or is not for this file; open the case again")
    request.state.audit_actor = actor
    return actor


ReaderDep = Annotated[Actor, Depends(reader)]


def allowed(action: str) -> Callable[[Actor], Actor]:
    """A dependency that refuses (403) before the request body is even read."""

    def check(actor: ActorDep) -> Actor:
        try:
            require(actor, action)
        except Forbidden as exc:
            raise HTTPException(403, str(exc)) from None
        return actor

    return check


AdminDep = Annotated[Actor, Depends(allowed("directory_write"))]
PeopleAdminDep = Annotated[Actor, Depends(allowed("users"))]
