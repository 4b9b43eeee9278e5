"""The wallboard as a feature: its page, its live socket, and the loop that follows the bus.
It shows the agents the desk offers (a port: hotline/ports.py)."""

from __future__ import annotations

from casebook.agents.services import AgentDirectory
from casebook.metrics.calls import CallMetrics
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.opinion import Opinion
from hotline.features import Feature, Parts
from hotline.features.wallboard.routes import page_router, router
from hotline.features.wallboard.services import Wallboard
from hotline.features.wallboard.supervision import Supervision
from hotline.ports import AGENTS_ON_DUTY, AGENTS_SUPERVISED


def feature(parts: Parts) -> Feature:
    tz = parts.settings.timezone
    wallboard = Wallboard(
        parts.bus,
        CallMetrics(parts.sessions, tz),
        CaseMetrics(parts.sessions, tz),
        Opinion(parts.sessions, tz),
        parts.lines,
        desk=parts.take(AGENTS_ON_DUTY),
        threshold_s=parts.settings.desk.service_level_s,
    )
    supervision = Supervision(parts.take(AGENTS_SUPERVISED), AgentDirectory(parts.sessions), parts.ami, parts.bus)
    return Feature(
        "wallboard",
        routers=(router, page_router),
        with_telephony=(wallboard.run,),
        state={"wallboard": wallboard, "supervision": supervision},
    )
