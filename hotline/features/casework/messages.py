"""What the case workspace's live socket carries (`/api/v1/cases/live`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from hotline.pages.messages import Closed, LiveMessage


class CaseChanged(LiveMessage):
    """A case the reader may see was opened or changed: the list asks again, and the case's own
    page draws it afresh (what changed is read from the API, with the reader's rights)."""

    type: Literal["case"] = "case"
    number: str
    kind: str  # the event of the catalogue (common/events.py): case.dispatched, case.replied, ...
    status: str


class Following(LiveMessage):
    """The first message: the page is following the cases it may see from now on."""

    type: Literal["following"] = "following"


CaseworkMessage = Annotated[Following | CaseChanged | Closed, Field(discriminator="type")]
