"""One running platform process: database, event bus, Stasis application, AMI, HTTP API.

`Platform` is built from settings (cheap: nothing connects until `run`), so tests can run a
whole platform inside their own event loop against a real Asterisk and a real database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.services import AuthService
from casebook.cases.clocks import scan_breaches
from casebook.cases.screening import screen_pending
from casebook.cases.services import CaseBook, CaseNotice
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.reports.services import ReportService
from common.bus import EventBus, PlatformEvent
from common.paths import recordings_dir, reports_dir
from common.settings import Settings
from hotline.adapters import CasebookIntake, FlowEvents
from hotline.bootstrap import bootstrap_casebook
from hotline.screening import screen_later
from ivr.flow import FlowTimings, HotlineFlow
from ivr.lines import LineBook, load_lines
from ivr.ports import Sound
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiAgents, AmiClient, AmiError
from telephony.ari.client import AriClient
from telephony.ari.socket import AriEventSocket
from telephony.calls.leg import PromptMedia
from telephony.calls.notifier import CallNotifier
from telephony.calls.recordings import RecordingKeeper
from telephony.calls.session import CallSession
from telephony.calls.stasis import StasisApp
from telephony.runtime.layout import resolve_layout

log = logging.getLogger(__name__)


@dataclass
class Platform:
    settings: Settings
    lines: LineBook = field(init=False)
    bus: EventBus = field(default_factory=EventBus)

    def __post_init__(self) -> None:
        s = self.settings
        self.lines = load_lines(s.lines_file)
        self.engine = make_engine(s.sqlalchemy_url)
        self.sessions = make_sessionmaker(self.engine)
        self.book = CaseBook(self.sessions, timezone=s.timezone, recordings_dir=recordings_dir(s))
        self.book.subscribe(self._publish_case_notice)
        self.auth = AuthService(self.sessions)
        self.reports = ReportService(self.sessions, reports_dir(s), timezone=s.timezone)
        self.intake = CasebookIntake(self.book)
        self.notifier = CallNotifier(self.bus)
        self.ari = AriClient(s.ari_url, s.ari_user, s.secret("ari_password"), s.ari_app)
        self.socket = AriEventSocket(s.ari_url, s.ari_user, s.secret("ari_password"), s.ari_app)
        self.ami = AmiClient(s.asterisk_host, s.ami_port, s.ami_user, s.secret("ami_password"))
        self.agents = AmiAgents(self.ami)
        self.keeper = RecordingKeeper(self.ari, AstDb(self.ami), self.intake, self.notifier)
        layout = resolve_layout(s)
        self.stasis = StasisApp(
            self.ari,
            self.socket,
            incoming=self.run_incoming,
            keeper=self.keeper,
            notifier=self.notifier,
            media=PromptMedia(layout.dir("sounds")),
        )
        self.timings = FlowTimings(
            menu_timeout_s=s.menu_timeout_s,
            digit_timeout_s=s.digit_timeout_s,
            record_max_s=s.record_max_s,
            record_silence_s=s.record_silence_s,
        )
        self.tz = ZoneInfo(s.timezone)

    # --- the IVR for one call ----------------------------------------------------------------------
    async def run_incoming(self, session: CallSession) -> str:
        line = self.lines.by_number(session.leg.dialled_number)
        if line is None:
            await session.leg.answer()
            await session.leg.play(Sound("unknown-number"), interruptible=False)
            return "unknown-number"
        flow = HotlineFlow(
            session.leg,
            line,
            intake=self.intake,
            agents=self.agents,
            events=FlowEvents(self.notifier),
            now=lambda: datetime.now(self.tz),
            timings=self.timings,
        )
        session.progress = lambda: flow.outcome
        return await flow.run()

    # --- health ------------------------------------------------------------------------------------
    async def asterisk_health(self) -> dict[str, Any]:
        info = await self.ari.asterisk_info()
        return {"ok": True, "version": (info.get("system") or {}).get("version")}

    async def stasis_health(self) -> dict[str, Any]:
        return {
            "ok": self.socket.connected.is_set(),
            "app": self.settings.ari_app,
            "calls": len(self.stasis.sessions),
            "connections": self.socket.connections,
        }

    async def ami_health(self) -> dict[str, Any]:
        return {"ok": self.ami.connected}

    def _publish_case_notice(self, notice: CaseNotice) -> None:
        self.bus.publish(
            PlatformEvent(notice.kind, "-", {"case": notice.number, "status": notice.status, **notice.data})
        )

    def api(self, *, telephony: bool = True) -> Any:
        checks = {"asterisk": self.asterisk_health, "stasis": self.stasis_health, "ami": self.ami_health}
        services = Services(
            self.book,
            self.auth,
            self.reports,
            open311_public_reads=self.settings.open311_public_reads,
            screen_later=screen_later(self.settings, self.book),
        )
        return create_app(services, checks if telephony else {})

    async def scan_clocks_forever(self) -> None:
        """Embedded mode's stand-in for Celery beat: the breach scan every minute, and the
        reports when they fall due (Monday 08:00, the 1st of the month 08:00)."""
        while True:
            try:
                await asyncio.to_thread(screen_pending, self.book)
                found = await asyncio.to_thread(scan_breaches, self.book)
                if found:
                    log.info("clocks: %d breach(es) recorded and escalated", len(found))
                for report in await asyncio.to_thread(self.reports.make_due):
                    log.info("report %s for %s made", report.kind, report.period_start.date())
            except Exception:
                log.exception("the scheduled work failed; it runs again in a minute")
            await asyncio.sleep(self.settings.breach_scan_interval_s)

    # --- running -----------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Seed the directory, name the lines' channels, create the development credentials."""
        bootstrap_casebook(self.settings, self.sessions, self.auth, self.lines)

    async def run_telephony(self) -> None:
        try:
            await self.ami.connect()
        except AmiError as exc:
            log.warning("%s; continuing (panoramisk retries in the background)", exc)
        await self.stasis.run()

    async def serve(self, *, telephony: bool = True, api: bool = True, clocks: bool = True) -> None:
        await asyncio.to_thread(self.prepare)
        async with asyncio.TaskGroup() as group:
            if telephony:
                group.create_task(self.run_telephony())
            if clocks and self.settings.task_mode == "embedded":
                group.create_task(self.scan_clocks_forever())
            if api:
                config = uvicorn.Config(
                    self.api(telephony=telephony),
                    host=self.settings.api_host,
                    port=self.settings.api_port,
                    log_level="warning",
                    lifespan="off",
                )
                group.create_task(uvicorn.Server(config).serve())

    async def close(self) -> None:
        self.ami.close()
        await self.ari.aclose()
        self.engine.dispose()
