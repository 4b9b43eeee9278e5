"""People log in for a bearer token; Open311 clients present an API key.

Passwords are hashed with scrypt (standard library); tokens and keys are random and only their
SHA-256 is stored, so a copy of the database does not give anyone access.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, Role
from casebook.cases.errors import Conflict, InvalidInput
from casebook.clock import Clock, SystemClock
from casebook.db.models import AccessToken, ApiKey, Channel, Unit, User

TOKEN_LIFETIME = timedelta(hours=12)
TICKET_LIFETIME = timedelta(hours=1)
KEY_CACHE_S = 60.0
MIN_PASSWORD = 10


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, key = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(candidate.hex(), key)


class AuthService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self._keys: dict[str, tuple[str, float]] = {}

    # --- people ---------------------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        role: Role | str,
        *,
        display_name: str = "",
        unit: str | None = None,
        password: str | None = None,
    ) -> User:
        role = Role(role)
        if role == Role.SYSTEM:
            raise InvalidInput("system is not a role for people")
        if role == Role.UNIT_HANDLER and not unit:
            raise InvalidInput("a unit handler belongs to a unit")
        if password is not None and len(password) < MIN_PASSWORD:
            raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")
        with self.sessions() as s:
            if unit is not None and s.get(Unit, unit) is None:
                raise InvalidInput(f"unknown unit {unit!r}")
            user = User(
                username=username,
                display_name=display_name or username,
                role=role.value,
                unit_code=unit,
                password_hash=hash_password(password) if password else None,
                active=True,
                created_at=self.clock.now(),
            )
            s.add(user)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(f"user {username!r} exists already") from None
            s.refresh(user)
            return user

    def issue_token(
        self, username: str, *, token: str | None = None, lifetime: timedelta | None = TOKEN_LIFETIME
    ) -> str:
        """A bearer token for a user (a given one, e.g. the development admin token, or a new one)."""
        clear = token or secrets.token_urlsafe(32)
        with self.sessions() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise InvalidInput(f"no user {username!r}")
            if s.scalar(select(AccessToken.id).where(AccessToken.token_hash == digest(clear))) is None:
                now = self.clock.now()
                s.add(
                    AccessToken(
                        token_hash=digest(clear),
                        user_id=user.id,
                        created_at=now,
                        expires_at=now + lifetime if lifetime else None,
                        revoked=False,
                    )
                )
                s.commit()
        return clear

    def login(self, username: str, password: str) -> str | None:
        with self.sessions() as s:
            user = s.scalar(select(User).where(User.username == username, User.active))
            stored = user.password_hash if user else None
        if user is None or not verify_password(password, stored):
            return None
        return self.issue_token(username)

    def actor_for_token(self, token: str, *, scope: str | None = None) -> Actor | None:
        """The person behind a session token; with `scope`, also a ticket for that one path."""
        with self.sessions() as s:
            row = s.execute(
                select(User, AccessToken)
                .join(AccessToken, AccessToken.user_id == User.id)
                .where(AccessToken.token_hash == digest(token), ~AccessToken.revoked, User.active)
            ).first()
        if row is None:
            return None
        user, access = row
        if access.expires_at is not None and access.expires_at < self.clock.now():
            return None
        if access.scope is not None and access.scope != scope:
            return None
        return Actor(user.username, Role(user.role), user.unit_code)

    def issue_ticket(self, token: str, path: str, *, lifetime: timedelta = TICKET_LIFETIME) -> tuple[str, datetime]:
        """A ticket for one path (a recording, an attachment) of the person behind `token`: a
        browser's <audio> or download fetches it by itself, without the bearer header. Stored
        hashed like any token, so a copy of the database still gives no access; it ends after
        `lifetime`, or with the session's own end if that comes first."""
        clear = secrets.token_urlsafe(24)
        now = self.clock.now()
        with self.sessions() as s:
            session_token = s.scalar(
                select(AccessToken).where(AccessToken.token_hash == digest(token), AccessToken.scope.is_(None))
            )
            if session_token is None:
                raise InvalidInput("tickets are given to a signed-in person's session only")
            expires = now + lifetime
            if session_token.expires_at is not None:
                expires = min(expires, session_token.expires_at)
            s.execute(
                delete(AccessToken).where(AccessToken.scope.is_not(None), AccessToken.expires_at < now - lifetime)
            )
            s.add(
                AccessToken(
                    token_hash=digest(clear),
                    user_id=session_token.user_id,
                    created_at=now,
                    expires_at=expires,
                    revoked=False,
                    scope=path,
                )
            )
            s.commit()
        return clear, expires

    def revoke(self, token: str) -> None:
        with self.sessions() as s:
            for access in s.scalars(select(AccessToken).where(AccessToken.token_hash == digest(token))):
                access.revoked = True
            s.commit()

    # --- Open311 clients -------------------------------------------------------------------------------
    def create_api_key(self, name: str, channel: str, *, key: str | None = None) -> str:
        clear = key or secrets.token_urlsafe(32)
        with self.sessions() as s:
            if s.get(Channel, channel) is None:
                raise InvalidInput(f"unknown channel {channel!r}")
            existing = s.scalar(select(ApiKey).where(ApiKey.name == name))
            if existing is None:
                s.add(
                    ApiKey(
                        name=name,
                        key_hash=digest(clear),
                        channel_code=channel,
                        active=True,
                        created_at=self.clock.now(),
                    )
                )
            else:
                existing.key_hash, existing.channel_code, existing.active = digest(clear), channel, True
            s.commit()
        return clear

    def channel_for_key(self, key: str) -> str | None:
        """The channel of an active key. Known keys are remembered for a minute (a busy client
        sends hundreds of requests a second); a revoked key stops working within that minute."""
        hashed = digest(key)
        cached = self._keys.get(hashed)
        if cached is not None and time.monotonic() - cached[1] < KEY_CACHE_S:
            return cached[0]
        with self.sessions() as s:
            channel = s.scalar(select(ApiKey.channel_code).where(ApiKey.key_hash == hashed, ApiKey.active))
        if channel is not None:
            self._keys[hashed] = (channel, time.monotonic())
        else:
            self._keys.pop(hashed, None)
        return channel

    def ensure_user(self, username: str, role: Role, *, unit: str | None = None, display_name: str = "") -> None:
        with self.sessions() as s:
            exists = s.scalar(select(User.id).where(User.username == username))
        if exists is None:
            self.create_user(username, role, unit=unit, display_name=display_name)

    def now(self) -> datetime:
        return self.clock.now()
