"""API schemas of agents."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    extension: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{3,5}$")]
    skills: dict[Annotated[str, StringConstraints(max_length=32)], Annotated[int, Field(ge=0, le=9)]] = Field(
        default_factory=dict, max_length=32, description="queue -> penalty (0 = first choice)"
    )


class AgentOut(BaseModel):
    username: str
    display_name: str
    extension: str
    skills: dict[str, int]
    active: bool


class AgentCredentials(AgentOut):
    sip_password: str = Field(description="Shown this once: set it in the agent's softphone.")
    sip_realm: str
