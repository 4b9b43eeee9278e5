"""The agent desk as a feature: its API, the agent's page, and its loop (wrap-ups, resync)."""

from __future__ import annotations

from hotline.desk.page import router as page_router
from hotline.desk.routes import router
from hotline.desk.services import AgentDesk
from hotline.features import Feature


def feature(desk: AgentDesk) -> Feature:
    return Feature("desk", routers=(router, page_router), with_telephony=(desk.run,), state={"desk": desk})
