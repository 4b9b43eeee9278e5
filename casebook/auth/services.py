"""People sign in for a bearer token; Open311 clients present an API key; administrators keep both.

Passwords are hashed with scrypt (casebook/auth/passwords.py); tokens and keys are random and only
their SHA-256 is stored, so a copy of the database does not give anyone access.

A sign-in's token is short-lived (`AccessPolicy.idle`, 30 minutes): the pages trade it for a new
one while they are open (`refresh`), up to the sign-in's own end (`AccessPolicy.longest`, 12 hours).
Signing out revokes it; an administrator can revoke every token of a person ("sign out
everywhere"), and disabling a person does that too.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.directory import CountyDirectory
from casebook.auth.names import look_alike
from casebook.auth.passwords import check_password, hash_password, verify_password
from casebook.auth.policy import Actor, Role
from casebook.auth.throttle import SignInThrottle, ThrottlePolicy
from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.clock import Clock, SystemClock
from casebook.db.models import AccessToken, ApiKey, Channel, Unit, User

TICKET_LIFETIME = timedelta(hours=1)
KEY_CACHE_S = 60.0
MIN_PASSWORD = 10
REFRESH_GRACE = timedelta(seconds=60)  # the old token still serves requests already on their way


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class AccessPolicy:
    idle: timedelta = timedelta(minutes=30)
    longest: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    session_until: datetime


class AuthService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock | None = None,
        *,
        access: AccessPolicy | None = None,
        throttle: ThrottlePolicy | None = None,
        directory: CountyDirectory | None = None,
    ) -> None:
        self.sessions = sessions
        self.directory = directory  # the county's LDAP, for people made without a local password
        self.clock = clock or SystemClock()
        self.access = access or AccessPolicy()
        self.throttle = SignInThrottle(sessions, self.clock, throttle)
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
        directory_only: bool = False,
    ) -> User:
        """A person; without a password they sign in with the county directory (`directory_only`
        says a person is meant to, and is refused where there is none)."""
        role = Role(role)
        if role == Role.SYSTEM:
            raise InvalidInput("system is not a role for people")
        if role == Role.UNIT_HANDLER and not unit:
            raise InvalidInput("a unit handler belongs to a unit")
        if password is not None:
            check_password(password, username)
        elif directory_only and self.directory is None:
            raise InvalidInput(
                "give a password: this center has no county directory to sign in with (HOTLINE_LDAP_URL)"
            )
        with self.sessions() as s:
            if unit is not None and s.get(Unit, unit) is None:
                raise InvalidInput(f"unknown unit {unit!r}")
            if self._user(s, username) is not None:
                raise Conflict(f"user {username!r} exists already (user names are the same in any case)")
            if (alike := look_alike(s, username)) is not None:
                raise Conflict(f"user {username!r} reads like the existing {alike!r}: choose a name that reads apart")
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

    @staticmethod
    def _user(s: Session, username: str) -> User | None:
        """The user of this name, whatever the case of its letters (`Admin` is `admin`)."""
        return s.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))

    def issue_token(
        self, username: str, *, token: str | None = None, lifetime: timedelta | None = None, renew: bool = False
    ) -> str:
        """A bearer token for a user: a given one (the bootstrap administrator's, whose end each
        start moves on with `renew`) or a new one. `lifetime` None: the policy's idle time."""
        return self._issue(username, token=token, lifetime=lifetime, renew=renew).token

    def _issue(
        self,
        username: str,
        *,
        token: str | None = None,
        lifetime: timedelta | None = None,
        renew: bool = False,
        session_until: datetime | None = None,
        sign_in: str | None = None,
    ) -> SignedIn:
        clear = token or secrets.token_urlsafe(32)
        now = self.clock.now()
        until = session_until or now + max(self.access.longest, lifetime or timedelta(0))
        expires = min(now + (lifetime or self.access.idle), until)
        with self.sessions() as s:
            user = self._user(s, username)
            if user is None:
                raise InvalidInput(f"no user {username!r}")
            existing = s.scalar(select(AccessToken).where(AccessToken.token_hash == digest(clear)))
            if existing is None:
                s.add(
                    AccessToken(
                        token_hash=digest(clear),
                        user_id=user.id,
                        created_at=now,
                        expires_at=expires,
                        revoked=False,
                        session_until=until,
                        sign_in=sign_in or digest(clear),
                    )
                )
            elif renew:
                existing.expires_at, existing.session_until, existing.revoked = expires, until, False
            s.commit()
        return SignedIn(clear, expires, until)

    def login(self, username: str, password: str, *, address: str | None = None) -> str | None:
        """The token of a new sign-in (see `sign_in`)."""
        signed_in = self.sign_in(username, password, address=address)
        return signed_in.token if signed_in is not None else None

    def sign_in(self, username: str, password: str, *, address: str | None = None) -> SignedIn | None:
        """A new sign-in, or None for a wrong name or password (the same answer, in the same time:
        a name that does not exist costs one scrypt as well). Raises `TooManyAttempts` while the
        name or the address must wait (casebook/auth/throttle.py)."""
        self.throttle.attempt(username, address)
        with self.sessions() as s:
            user = self._user(s, username)
            stored = user.password_hash if user is not None and user.active else None
            name = user.username if user is not None else username
            by_directory = user is not None and user.active and stored is None and self.directory is not None
        if by_directory:
            assert self.directory is not None
            if not self.directory.verify(name, password):
                return None
        elif not verify_password(password, stored):
            return None
        self.throttle.succeeded(username, address)
        with self.sessions() as s:
            s.execute(update(User).where(User.username == name).values(last_sign_in_at=self.clock.now()))
            s.commit()
        return self._issue(name)

    def refresh(self, token: str) -> SignedIn | None:
        """A new token for a sign-in still valid, lasting up to the sign-in's own end; the old
        one ends a minute later (requests already sent with it still pass). None: it has ended."""
        now = self.clock.now()
        with self.sessions() as s:
            row = s.execute(
                select(AccessToken, User)
                .join(User, AccessToken.user_id == User.id)
                .where(AccessToken.token_hash == digest(token), ~AccessToken.revoked, User.active)
                .where(AccessToken.scope.is_(None))
            ).first()
            if row is None:
                return None
            access, user = row
            if access.expires_at is not None and access.expires_at < now:
                return None
            until = access.session_until or now + self.access.longest
            if until <= now:
                return None
            access.expires_at = min(access.expires_at or now + REFRESH_GRACE, now + REFRESH_GRACE)
            s.commit()
            name, chain = user.username, access.sign_in or access.token_hash
        return self._issue(name, session_until=until, sign_in=chain)

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
        `lifetime`, or with the sign-in's own end if that comes first."""
        clear = secrets.token_urlsafe(24)
        now = self.clock.now()
        with self.sessions() as s:
            session_token = s.scalar(
                select(AccessToken).where(AccessToken.token_hash == digest(token), AccessToken.scope.is_(None))
            )
            if session_token is None:
                raise InvalidInput("tickets are given to a signed-in person's session only")
            expires = now + lifetime
            if session_token.session_until is not None:
                expires = min(expires, session_token.session_until)
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
                    session_until=expires,
                    sign_in=session_token.sign_in or session_token.token_hash,
                )
            )
            s.commit()
        return clear, expires

    def revoke(self, token: str) -> None:
        """Sign out: the token, the tokens its sign-in was refreshed into, and the tickets it was
        given (a recording's link in the browser's history) stop working."""
        with self.sessions() as s:
            access = s.scalar(select(AccessToken).where(AccessToken.token_hash == digest(token)))
            if access is not None:
                chain = access.sign_in or access.token_hash
                s.execute(
                    update(AccessToken)
                    .where((AccessToken.sign_in == chain) | (AccessToken.token_hash == chain))
                    .values(revoked=True)
                )
                access.revoked = True
            s.commit()

    def revoke_all(self, username: str, *, keep: str | None = None) -> int:
        """Sign a person out everywhere: every token and ticket they hold stops working (but the
        sign-in of `keep`, the token of the person doing it to themselves)."""
        with self.sessions() as s:
            user = self._user(s, username)
            if user is None:
                raise NotFound(f"no user {username!r}")
            query = update(AccessToken).where(AccessToken.user_id == user.id, ~AccessToken.revoked)
            kept = s.scalar(select(AccessToken).where(AccessToken.token_hash == digest(keep))) if keep else None
            if kept is not None:
                chain = kept.sign_in or kept.token_hash
                query = query.where(AccessToken.sign_in.is_distinct_from(chain), AccessToken.token_hash != chain)
            count = getattr(s.execute(query.values(revoked=True)), "rowcount", 0)
            s.commit()
        return int(count or 0)

    def purge_expired(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Tokens ended more than a week ago are removed (a scheduled job): the table stays small."""
        cutoff = self.clock.now() - older_than
        with self.sessions() as s:
            count = getattr(s.execute(delete(AccessToken).where(AccessToken.expires_at < cutoff)), "rowcount", 0)
            s.commit()
        return int(count or 0)

    # --- Open311 clients -------------------------------------------------------------------------------
    def create_api_key(
        self, name: str, channel: str, *, key: str | None = None, replace: bool = False, by: str | None = None
    ) -> str:
        """A new key for one channel's client, shown once. A name in use is refused, unless
        `replace` (the bootstrap key of the `web` channel, set again at each start)."""
        clear = key or secrets.token_urlsafe(32)
        with self.sessions() as s:
            if s.get(Channel, channel) is None:
                raise InvalidInput(f"unknown channel {channel!r}")
            existing = s.scalar(select(ApiKey).where(func.lower(ApiKey.name) == name.lower()))
            if existing is None:
                s.add(
                    ApiKey(
                        name=name,
                        key_hash=digest(clear),
                        channel_code=channel,
                        active=True,
                        created_at=self.clock.now(),
                        created_by=by,
                    )
                )
            elif replace:
                existing.key_hash, existing.channel_code, existing.active = digest(clear), channel, True
                existing.revoked_at = None
            elif existing.active:
                raise Conflict(f"an API key named {name!r} exists already: revoke it first, or choose another name")
            else:
                raise Conflict(f"a revoked API key keeps its name {name!r} in the records: choose another name")
            s.commit()
        self._keys.clear()
        return clear

    def api_keys(self) -> list[ApiKey]:
        with self.sessions() as s:
            return list(s.scalars(select(ApiKey).order_by(ApiKey.active.desc(), ApiKey.name)))

    def revoke_api_key(self, name: str) -> ApiKey:
        """The key stops working at once in this process, within `KEY_CACHE_S` in the others."""
        with self.sessions() as s:
            key = s.scalar(select(ApiKey).where(func.lower(ApiKey.name) == name.lower()))
            if key is None:
                raise NotFound(f"no API key named {name!r}")
            if key.active:
                key.active, key.revoked_at = False, self.clock.now()
                s.commit()
            s.refresh(key)
            s.expunge(key)
        self._keys.clear()
        return key

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
            exists = self._user(s, username) is not None
        if not exists:
            self.create_user(username, role, unit=unit, display_name=display_name)

    def now(self) -> datetime:
        return self.clock.now()
