"""Logging in, and (for administrators) people and Open311 keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.api.deps import ActorDep, PeopleAdminDep, ServicesDep
from casebook.auth.policy import Role

router = APIRouter(prefix="/api/v1", tags=["auth"])
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


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
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    channel: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class ApiKeyOut(BaseModel):
    name: str
    channel: str
    api_key: str


@router.post("/auth/login", response_model=TokenOut)
def login(svc: ServicesDep, body: LoginIn) -> TokenOut:
    token = svc.auth.login(body.username, body.password)
    if token is None:
        raise HTTPException(401, "wrong user name or password")
    return TokenOut(access_token=token)


@router.get("/me", response_model=MeOut)
def me(svc: ServicesDep, actor: ActorDep) -> MeOut:
    return MeOut(username=actor.name, role=actor.role.value, unit=actor.unit, timezone=svc.book.tz.key)


@router.post("/users", response_model=MeOut, status_code=201)
def create_user(svc: ServicesDep, actor: PeopleAdminDep, body: UserIn) -> MeOut:
    if body.role == Role.SYSTEM:
        raise HTTPException(422, "system is not a role for people")
    user = svc.auth.create_user(
        body.username, body.role, unit=body.unit, display_name=body.display_name, password=body.password
    )
    return MeOut(username=user.username, role=user.role, unit=user.unit_code)


@router.post("/api-keys", response_model=ApiKeyOut, status_code=201)
def create_api_key(svc: ServicesDep, actor: PeopleAdminDep, body: ApiKeyIn) -> ApiKeyOut:
    """A new Open311 client key for a channel; the key is shown once."""
    return ApiKeyOut(name=body.name, channel=body.channel, api_key=svc.auth.create_api_key(body.name, body.channel))
