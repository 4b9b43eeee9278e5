"""What the wallboard's live socket (/api/v1/wallboard/live) carries: the whole board at each
change (and at least every second or so), or `Closed`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from hotline.pages.messages import Closed, LiveMessage


class BoardMessage(LiveMessage):
    """The whole board; `version` grows with each change. Figures are named in `figures` (Chinese,
    English and the formula of each), so the page holds no figure's name of its own."""

    type: Literal["board"] = "board"
    at: str  # when it was drawn, ISO 8601 in the center's time zone
    version: int
    now: dict[str, Any]  # in_ivr, waiting, talking, longest_wait_s, agents (count by status)
    queues: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    today: dict[str, Any]
    threshold_s: float
    cases: dict[str, Any]
    surges: list[dict[str, Any]]
    figures_error: str
    figures: dict[str, Any]
    timezone: str


WallboardMessage = Annotated[BoardMessage | Closed, Field(discriminator="type")]
