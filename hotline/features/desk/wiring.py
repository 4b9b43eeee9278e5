"""The agent desk as a feature: its API, the agent's page, and its loops (wrap-ups, resync). It
follows the queues' events and offers the agents' states to the wallboard. (The agents' phones
reach Asterisk through the lines feature's sync, with the lines: hotline/features/lines/.)"""

from __future__ import annotations

from casebook.agents.services import AgentDirectory
from hotline.features import Feature, Parts
from hotline.features.desk.page import router as page_router
from hotline.features.desk.routes import router
from hotline.features.desk.services import AgentDesk
from hotline.ports import AGENTS_ON_DUTY, AGENTS_SUPERVISED


def feature(parts: Parts) -> Feature:
    settings = parts.settings.desk
    desk = AgentDesk(
        AgentDirectory(parts.sessions),
        parts.ami,
        parts.bus,
        book=parts.book,
        lines=parts.lines,
        wrapup_max_s=settings.wrapup_max_s,
        softphone_ws_url=settings.softphone_ws_url,
        sip_domain=settings.sip_domain,
        dial_out=bool(parts.settings.carrier_uri),
    )
    parts.queue_events.subscribe(desk.on_queue_event)
    parts.offer(AGENTS_ON_DUTY, desk)
    parts.offer(AGENTS_SUPERVISED, desk)
    return Feature("desk", routers=(router, page_router), with_telephony=(desk.run,), state={"desk": desk})
