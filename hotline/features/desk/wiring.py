"""The agent desk as a feature: its API, the agent's page, and its loops (wrap-ups, resync; the
agents' phones brought to Asterisk as they are made). It follows the queues' events and offers
the agents' states to the wallboard."""

from __future__ import annotations

from casebook.agents.services import AgentDirectory
from hotline.features import Feature, Parts
from hotline.features.desk.page import router as page_router
from hotline.features.desk.routes import router
from hotline.features.desk.services import AgentDesk
from hotline.ports import AGENTS_ON_DUTY
from hotline.services import asterisk_process
from telephony.runtime.config import PhoneAccount
from telephony.runtime.phones import PhoneSync
from telephony.sip.guard import RELOAD_PJSIP


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
    )
    parts.queue_events.subscribe(desk.on_queue_event)
    parts.offer(AGENTS_ON_DUTY, desk)
    phones = _phone_sync(parts)
    return Feature("desk", routers=(router, page_router), with_telephony=(desk.run, phones.run), state={"desk": desk})


def _phone_sync(parts: Parts) -> PhoneSync:
    """The agents' phones, from the casebook to Asterisk's PJSIP (telephony/runtime/phones.py)."""
    directory = AgentDirectory(parts.sessions)
    process = asterisk_process(parts.settings)

    def accounts() -> list[PhoneAccount]:
        return [PhoneAccount(a.extension, a.digest_md5, a.digest_sha256) for a in directory.sip_accounts()]

    return PhoneSync(
        accounts,
        lambda phones: process.render(parts.lines, phones),
        lambda: parts.ami.send(RELOAD_PJSIP),
    )
