"""Signing in and out, and (for administrators) people and Open311 keys."""

from __future__ import annotations

from datetime import datetime
from types import EllipsisType
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from casebook.api.deps import ActorDep, PeopleAdminDep, ServicesDep, TokenDep
from casebook.auth.passwords import MAX_LENGTH, MIN_LENGTH
from casebook.auth.people import People, Person
from casebook.auth.people_csv import export_people, import_people
from casebook.auth.policy import Role
from casebook.db.models import ApiKey
from casebook.directory.admin_routes import csv_text

router = APIRouter(prefix="/api/v1", tags=["auth"])
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
NamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
Password = Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_LENGTH)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = Field(default=None, description="When the token ends unless refreshed.")
    session_until: datetime | None = Field(default=None, description="When the sign-in ends, refreshed or not.")


class MeOut(BaseModel):
    username: str
    role: str
    unit: str | None
    timezone: str | None = Field(default=None, description="The center's time zone: pages show every time in it.")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name
    role: Role
    unit: Annotated[str, StringConstraints(max_length=32)] | None = None
    display_name: Annotated[str, StringConstraints(max_length=96)] = ""
    password: Password | None = Field(
        default=None, description="Left out: the person signs in with the county directory (LDAP), where there is one."
    )


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    unit: str | None
    active: bool
    created_at: datetime
    last_sign_in_at: datetime | None
    locked_until: datetime | None = Field(description="Locked after too many wrong passwords, until then.")


class UserEditIn(BaseModel):
    """What an administrator changes of a person; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    no_unit: bool = Field(default=False, description="Take the person out of their unit.")
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=96)] | None = None
    active: bool | None = Field(default=None, description="false: disabled (signed out everywhere, cannot sign in).")


class PasswordResetOut(BaseModel):
    username: str
    password: str = Field(description="The new password, shown this once: give it to the person.")


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: Annotated[str, StringConstraints(min_length=1, max_length=MAX_LENGTH)]
    new: Password


class SignedOutOut(BaseModel):
    username: str
    tokens_revoked: int


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    channel: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class ApiKeyOut(BaseModel):
    name: str
    channel: str
    api_key: str = Field(description="The key, shown this once: only its digest is kept.")


class ApiKeyListed(BaseModel):
    name: str
    channel: str
    active: bool
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None


def _user_out(person: Person) -> UserOut:
    return UserOut(
        username=person.username,
        display_name=person.display_name,
        role=person.role,
        unit=person.unit,
        active=person.active,
        created_at=person.created_at,
        last_sign_in_at=person.last_sign_in_at,
        locked_until=person.locked_until,
    )


# --- signing in and out --------------------------------------------------------------------------------
@router.post("/auth/login", response_model=TokenOut)
def login(svc: ServicesDep, body: LoginIn, request: Request) -> TokenOut:
    """A token for the person; it ends after 30 minutes unused unless refreshed (`/auth/refresh`).
    Wrong passwords make the next attempt wait, and lock the name after ten (429, Retry-After)."""
    request.state.audit_actor = body.username
    request.state.audit = {"target": f"user:{body.username}"}
    address = request.client.host if request.client else None
    signed_in = svc.auth.sign_in(body.username, body.password, address=address)
    if signed_in is None:
        raise HTTPException(401, "wrong user name or password")
    return TokenOut(
        access_token=signed_in.token, expires_at=signed_in.expires_at, session_until=signed_in.session_until
    )


@router.post("/auth/refresh", response_model=TokenOut)
def refresh(svc: ServicesDep, actor: ActorDep, token: TokenDep) -> TokenOut:
    """A new token for this sign-in (the old one ends a minute later), up to the sign-in's end."""
    signed_in = svc.auth.refresh(token)
    if signed_in is None:
        raise HTTPException(401, "the sign-in has ended; log in again", headers={"WWW-Authenticate": "Bearer"})
    return TokenOut(
        access_token=signed_in.token, expires_at=signed_in.expires_at, session_until=signed_in.session_until
    )


@router.post("/auth/logout", status_code=204)
def logout(svc: ServicesDep, actor: ActorDep, token: TokenDep) -> None:
    """Sign out: this token stops working at once."""
    svc.auth.revoke(token)


@router.post("/auth/password", status_code=204)
def change_password(
    svc: ServicesDep, actor: ActorDep, body: PasswordChangeIn, token: TokenDep, request: Request
) -> None:
    """A person changes their own password (knowing the current one: wrong guesses are throttled
    as sign-ins are); their other sign-ins end, this one stays."""
    address = request.client.host if request.client else None
    People(svc.auth).change_own_password(actor.name, body.current, body.new, token=token, address=address)


@router.get("/me", response_model=MeOut)
def me(svc: ServicesDep, actor: ActorDep) -> MeOut:
    return MeOut(username=actor.name, role=actor.role.value, unit=actor.unit, timezone=svc.book.tz.key)


# --- people (administrators) ------------------------------------------------------------------------------
@router.get("/users", response_model=list[UserOut])
def list_users(svc: ServicesDep, actor: PeopleAdminDep) -> list[UserOut]:
    """Every person, the active first; with when they last signed in and any lockout."""
    return [_user_out(person) for person in People(svc.auth).list()]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(svc: ServicesDep, actor: PeopleAdminDep, body: UserIn, request: Request) -> UserOut:
    if body.role == Role.SYSTEM:
        raise HTTPException(422, "system is not a role for people")
    user = svc.auth.create_user(
        body.username,
        body.role,
        unit=body.unit,
        display_name=body.display_name,
        password=body.password,
        directory_only=body.password is None,
    )
    person = People(svc.auth).get(user.username)
    request.state.audit = {"target": f"user:{person.username}", "after": person.facts()}
    return _user_out(person)


@router.get("/users/{username}", response_model=UserOut)
def get_user(svc: ServicesDep, actor: PeopleAdminDep, username: NamePath) -> UserOut:
    return _user_out(People(svc.auth).get(username))


@router.patch("/users/{username}", response_model=UserOut)
def edit_user(svc: ServicesDep, actor: PeopleAdminDep, username: NamePath, body: UserEditIn) -> UserOut:
    """Change a person's role, unit, name, or disable them (which signs them out everywhere)."""
    if body.no_unit and body.unit is not None:
        raise HTTPException(422, "give a unit or no_unit, not both")
    unit: str | EllipsisType | None = None if body.no_unit else (body.unit if body.unit is not None else ...)
    _before, after = People(svc.auth).edit(
        username, actor.name, role=body.role, unit=unit, display_name=body.display_name, active=body.active
    )
    return _user_out(after)


@router.post("/users/{username}/password", response_model=PasswordResetOut)
def reset_password(svc: ServicesDep, actor: PeopleAdminDep, username: NamePath) -> PasswordResetOut:
    """A new password for a person who forgot theirs, shown once; they are signed out everywhere
    and any lockout is lifted."""
    person, password = People(svc.auth).reset_password(username)
    return PasswordResetOut(username=person.username, password=password)


@router.post("/users/{username}/sign-out", response_model=SignedOutOut)
def sign_out_everywhere(svc: ServicesDep, actor: PeopleAdminDep, username: NamePath) -> SignedOutOut:
    """Every token of the person stops working (a lost phone, a shared computer)."""
    return SignedOutOut(username=username, tokens_revoked=svc.auth.revoke_all(username))


@router.post("/users/{username}/unlock", response_model=UserOut)
def unlock(svc: ServicesDep, actor: PeopleAdminDep, username: NamePath) -> UserOut:
    """Lift a lockout after too many wrong passwords."""
    people = People(svc.auth)
    person = people.get(username)
    svc.auth.throttle.unlock(person.username)
    return _user_out(people.get(username))


class PeopleImportedOut(BaseModel):
    created: int
    updated: int
    passwords: dict[str, str] = Field(description="The new people's first passwords, shown this once.")


@router.get("/users.csv", response_class=Response)
def export_users(svc: ServicesDep, actor: PeopleAdminDep) -> Response:
    """Every person as CSV (username, display_name, role, unit, active): the import's columns."""
    return Response(
        export_people(svc.auth),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="users.csv"'},
    )


@router.post("/users.csv", response_model=PeopleImportedOut)
async def import_users(request: Request, svc: ServicesDep, actor: PeopleAdminDep) -> PeopleImportedOut:
    """People from CSV (the body, text/csv): made or changed; new people's first passwords are in
    the answer, once (none where the county directory signs people in)."""
    done = await run_in_threadpool(import_people, svc.auth, await csv_text(request), actor.name)
    request.state.audit = {"target": "users:csv", "after": {"created": done.created, "updated": done.updated}}
    return PeopleImportedOut(created=done.created, updated=done.updated, passwords=done.passwords)


# --- Open311 keys (administrators) ---------------------------------------------------------------------
@router.get("/api-keys", response_model=list[ApiKeyListed])
def list_api_keys(svc: ServicesDep, actor: PeopleAdminDep) -> list[ApiKeyListed]:
    """Every key, the working ones first (never the key itself: only its digest is kept)."""
    return [_key_out(k) for k in svc.auth.api_keys()]


@router.post("/api-keys", response_model=ApiKeyOut, status_code=201)
def create_api_key(svc: ServicesDep, actor: PeopleAdminDep, body: ApiKeyIn, request: Request) -> ApiKeyOut:
    """A new Open311 client key for one channel; the key is shown once. A name in use: 409."""
    key = svc.auth.create_api_key(body.name, body.channel, by=actor.name)
    request.state.audit = {"target": f"api_key:{body.name}", "after": {"channel": body.channel, "active": True}}
    return ApiKeyOut(name=body.name, channel=body.channel, api_key=key)


@router.delete("/api-keys/{name}", response_model=ApiKeyListed)
def revoke_api_key(svc: ServicesDep, actor: PeopleAdminDep, name: NamePath) -> ApiKeyListed:
    """The key stops working (within a minute in every process); it stays listed, revoked."""
    return _key_out(svc.auth.revoke_api_key(name))


def _key_out(k: ApiKey) -> ApiKeyListed:
    return ApiKeyListed(
        name=k.name,
        channel=k.channel_code,
        active=k.active,
        created_at=k.created_at,
        created_by=k.created_by,
        revoked_at=k.revoked_at,
    )
