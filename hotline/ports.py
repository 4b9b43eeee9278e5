"""What one feature reads of another: ports, satisfied by the other's object, handed over by the
root through `Parts` (hotline/features/__init__.py). Features never import each other (a test checks it);
they both import this file, which imports no feature.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Port(Generic[T]):
    """The key under which one feature offers a part and another takes it, typed by its protocol."""

    name: str


class AgentSeen(Protocol):
    """What the board shows of an agent (the desk's `DeskState` is one)."""

    username: str
    extension: str
    reason: str
    phone_online: bool

    @property
    def status(self) -> str: ...


class AgentsOnDuty(Protocol):
    """The agents' states as the desk (hotline/features/desk) follows them; read by the wallboard."""

    @property
    def states(self) -> Mapping[str, AgentSeen]: ...


class AgentsSupervised(AgentsOnDuty, Protocol):
    """What a supervisor does to an agent from the wallboard: the desk's own actions, in the
    agent's name (hotline/features/desk)."""

    async def pause(self, actor: Any, reason: str) -> Any: ...

    async def logout(self, actor: Any) -> Any: ...


class CallLogBacklog(Protocol):
    """How far the call log's writer (hotline/features/calllog) is behind; read by the operators' figures."""

    @property
    def buffer(self) -> Sized: ...

    @property
    def given_up(self) -> int: ...


class CallbackDialling(Protocol):
    """What the callbacks feature runs of the dialler the telephony application is built with
    (the application hands it the calls the dialler places, so the root builds it first)."""

    async def run(self, ready: asyncio.Event | None = None) -> None: ...

    async def health(self) -> dict[str, Any]: ...


AGENTS_ON_DUTY: Port[AgentsOnDuty] = Port("agents on duty")
AGENTS_SUPERVISED: Port[AgentsSupervised] = Port("agents supervised")
CALL_LOG_BACKLOG: Port[CallLogBacklog] = Port("call log backlog")
