"""Making agents and their SIP credentials; what telephony needs to build their phones.

A SIP password is generated (never chosen by a person), shown once, and kept only as the
digests Asterisk's `password_digest` takes, so neither the database nor the generated Asterisk
configuration holds a password an intruder could reuse elsewhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, Role, require
from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.clock import Clock, SystemClock
from casebook.db.models import Agent, Channel, User

SIP_REALM = "hotline"
EXTENSION = re.compile(r"^[1-9][0-9]{3,5}$")
QUEUE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
AGENT_ROLES = (Role.INTAKE_AGENT, Role.SUPERVISOR)


@dataclass(frozen=True, slots=True)
class SipAccount:
    """An agent's phone as Asterisk's configuration needs it (no password: digests only)."""

    extension: str
    digest_md5: str
    digest_sha256: str
    skills: dict[str, int]


@dataclass(frozen=True, slots=True)
class AgentView:
    username: str
    display_name: str
    extension: str
    skills: dict[str, int]
    active: bool


@dataclass(frozen=True, slots=True)
class NewSipPassword:
    agent: AgentView
    sip_password: str  # shown once


def sip_digests(extension: str, password: str) -> tuple[str, str]:
    credential = f"{extension}:{SIP_REALM}:{password}".encode()
    return hashlib.md5(credential).hexdigest(), hashlib.sha256(credential).hexdigest()


def check_skills(skills: dict[str, int]) -> dict[str, int]:
    for queue, penalty in skills.items():
        if not QUEUE.match(queue):
            raise InvalidInput(f"skill {queue!r} is not a queue name (lower-case letters, digits, '-')")
        if not isinstance(penalty, int) or not 0 <= penalty <= 9:
            raise InvalidInput(f"the penalty of {queue!r} must be 0 (first choice) to 9")
    return dict(skills)


class AgentDirectory:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    def create(self, actor: Actor, username: str, extension: str, skills: dict[str, int]) -> NewSipPassword:
        """Give an existing intake agent or supervisor a phone; returns its generated SIP password."""
        require(actor, "users")
        if not EXTENSION.match(extension):
            raise InvalidInput(
                "an extension is 4 to 6 digits, not starting with 0 (shorter or longer could be a caller's number)"
            )
        skills = check_skills(skills)
        password = secrets.token_urlsafe(18)  # 144 bits
        md5, sha256 = sip_digests(extension, password)
        now = self.clock.now()
        with self.sessions() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user {username!r}")
            if user.role not in AGENT_ROLES:
                raise InvalidInput(f"{username} is a {user.role}; agents are intake agents or supervisors")
            if s.scalar(select(Channel.code).where(Channel.line_number == extension)) is not None:
                raise InvalidInput(f"{extension} is a hotline number: an agent's extension must be another one")
            agent = Agent(
                user_id=user.id,
                extension=extension,
                digest_md5=md5,
                digest_sha256=sha256,
                skills=skills,
                active=True,
                created_at=now,
                password_set_at=now,
            )
            s.add(agent)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(f"extension {extension} or user {username} has a phone already") from None
            return NewSipPassword(_view(agent, user), password)

    def new_password(self, actor: Actor, extension: str) -> NewSipPassword:
        """A fresh SIP password (a lost phone, a leaver's desk): the old one stops working."""
        require(actor, "users")
        password = secrets.token_urlsafe(18)
        with self.sessions() as s:
            agent, user = self._agent(s, extension)
            agent.digest_md5, agent.digest_sha256 = sip_digests(extension, password)
            agent.password_set_at = self.clock.now()
            s.commit()
            return NewSipPassword(_view(agent, user), password)

    def remove(self, actor: Actor, extension: str) -> AgentView:
        """The phone is taken away (a leaver, a desk given up): Asterisk forgets it within seconds
        (telephony/runtime/sync.py); the person stays. The extension can be given again."""
        require(actor, "users")
        with self.sessions() as s:
            agent, user = self._agent(s, extension)
            view = _view(agent, user)
            s.delete(agent)
            s.commit()
            return view

    def agents(self, actor: Actor) -> list[AgentView]:
        require(actor, "read_all")
        with self.sessions() as s:
            rows = s.execute(select(Agent, User).join(User, User.id == Agent.user_id).order_by(Agent.extension)).all()
            return [_view(agent, user) for agent, user in rows]

    def phone_of(self, username: str) -> SipAccount | None:
        """The active phone of this person, if they have one."""
        with self.sessions() as s:
            agent = s.scalar(
                select(Agent)
                .join(User, User.id == Agent.user_id)
                .where(User.username == username, Agent.active.is_(True))
            )
            return (
                SipAccount(agent.extension, agent.digest_md5, agent.digest_sha256, dict(agent.skills))
                if agent
                else None
            )

    def sip_accounts(self) -> list[SipAccount]:
        """Every active agent's phone, for Asterisk's configuration."""
        with self.sessions() as s:
            agents = s.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.extension)).all()
            return [SipAccount(a.extension, a.digest_md5, a.digest_sha256, dict(a.skills)) for a in agents]

    def owners(self) -> dict[str, str]:
        """Extension -> user name of every active phone (the desk matches Asterisk's queue members)."""
        with self.sessions() as s:
            rows = s.execute(
                select(Agent.extension, User.username)
                .join(User, User.id == Agent.user_id)
                .where(Agent.active.is_(True))
            ).all()
            return {extension: username for extension, username in rows}

    def _agent(self, s: Session, extension: str) -> tuple[Agent, User]:
        row = s.execute(
            select(Agent, User).join(User, User.id == Agent.user_id).where(Agent.extension == extension)
        ).first()
        if row is None:
            raise NotFound(f"no agent with extension {extension}")
        return row[0], row[1]

    def now(self) -> datetime:
        return self.clock.now()


def _view(agent: Agent, user: User) -> AgentView:
    return AgentView(user.username, user.display_name, agent.extension, dict(agent.skills), agent.active)
