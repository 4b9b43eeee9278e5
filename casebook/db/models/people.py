"""People and access: users, agents (with their SIP phones), access tokens and Open311 API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casebook.db.models.base import Base


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(96))
    role: Mapped[str] = mapped_column(String(24))  # intake_agent, unit_handler, supervisor, leader, admin
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]


class Agent(Base):
    """A person who answers calls: their SIP extension (one phone), skills as queue penalties."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    digest_md5: Mapped[str] = mapped_column(String(32))  # of "extension:realm:password"
    digest_sha256: Mapped[str] = mapped_column(String(64))
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)  # queue -> penalty (0 = first choice)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_set_at: Mapped[datetime]


class AccessToken(Base):
    """A bearer token of a person (login) or a long-lived one (the development admin token)."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # a ticket: a short-lived token good for one path only (a recording or attachment a browser
    # fetches by itself, for <audio> and downloads), never for the API at large
    scope: Mapped[str | None] = mapped_column(String(300))
    # the sign-in's own end: a session refreshed while in use lasts at most until then
    session_until: Mapped[datetime | None]
    # the sign-in this token belongs to (the digest of its first token): its refreshed tokens and
    # its tickets share it, and signing out ends them all
    sign_in: Mapped[str | None] = mapped_column(String(64), index=True)


class SignInFailure(Base):
    """Wrong passwords counted per user name (`user:<name>`, known or not) and per address
    (`addr:<ip>`): each past the first few makes the next attempt wait longer; a user name with
    many is locked until an administrator lifts it or the lockout ends (casebook/auth/throttle.py)."""

    __tablename__ = "sign_in_failures"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class ApiKey(Base):
    """An Open311 client (the mailbox, the web form, the Weibo/WeChat operations center...)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))


class SavedView(Base):
    """A person's named view of the case list (its filters and order, as the page's address has
    them): one click brings it back; the address itself is how a view is shared."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("username", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
