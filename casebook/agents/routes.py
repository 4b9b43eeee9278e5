"""`/api/v1/agents`: administrators give people phones; supervisors see who has one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Request

from casebook.agents.schemas import AgentCreate, AgentCredentials, AgentOut
from casebook.agents.services import SIP_REALM, AgentDirectory, NewSipPassword
from casebook.api.deps import ActorDep, ServicesDep

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])
Extension = Annotated[str, Path(pattern=r"^[1-9][0-9]{3,5}$")]


def _directory(svc: ServicesDep) -> AgentDirectory:
    return AgentDirectory(svc.book.sessions, svc.book.clock)


def _credentials(made: NewSipPassword) -> AgentCredentials:
    return AgentCredentials(**asdict(made.agent), sip_password=made.sip_password, sip_realm=SIP_REALM)


@router.post("", response_model=AgentCredentials, status_code=201)
def create_agent(svc: ServicesDep, actor: ActorDep, body: AgentCreate, request: Request) -> AgentCredentials:
    """Give an intake agent or supervisor a SIP extension; the generated password is shown once.
    Asterisk knows the phone within seconds (no reload by hand): it can register at once."""
    made = _directory(svc).create(actor, body.username, body.extension, dict(body.skills))
    request.state.audit = {
        "target": f"agent:{body.extension}",
        "after": {"extension": made.agent.extension, "username": made.agent.username, "skills": made.agent.skills},
    }
    return _credentials(made)


@router.get("", response_model=list[AgentOut])
def list_agents(svc: ServicesDep, actor: ActorDep) -> list[AgentOut]:
    return [AgentOut(**asdict(a)) for a in _directory(svc).agents(actor)]


@router.post("/{extension}/sip-password", response_model=AgentCredentials)
def new_sip_password(svc: ServicesDep, actor: ActorDep, extension: Extension) -> AgentCredentials:
    """A new SIP password for this phone, shown once; Asterisk takes it within seconds (the old
    one stops working then)."""
    return _credentials(_directory(svc).new_password(actor, extension))


@router.delete("/{extension}", response_model=AgentOut)
def remove_agent(svc: ServicesDep, actor: ActorDep, extension: Extension) -> AgentOut:
    """Take the phone away; Asterisk forgets it within seconds. The person stays."""
    return AgentOut(**asdict(_directory(svc).remove(actor, extension)))
