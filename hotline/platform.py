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

from asr.engine import SpeechEngine
from asr.errors import AsrError
from asr.model import load_model, resolve_model_path
from casebook.agents.services import AgentDirectory
from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.services import AuthService
from casebook.calllog.services import CallLog
from casebook.cases.clocks import scan_breaches
from casebook.cases.screening import screen_pending
from casebook.cases.services import CaseBook, CaseNotice
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.metrics.calls import CallMetrics
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.opinion import Opinion
from casebook.reports.services import ReportService
from common.bus import EventBus, PlatformEvent
from common.paths import recordings_dir, reports_dir
from common.settings import Settings
from hotline.adapters import CasebookIntake, FlowEvents
from hotline.bootstrap import bootstrap_casebook
from hotline.callbacks import CallbackDialler
from hotline.calllog import CallLogWriter
from hotline.dashboard.page import router as dashboard_router
from hotline.desk.page import router as agent_page_router
from hotline.desk.routes import router as desk_router
from hotline.desk.services import AgentDesk
from hotline.prometheus import OpsMetrics
from hotline.screening import screen_later
from hotline.transcription import BackgroundTranscriber, Transcriber
from hotline.wallboard.routes import page_router as wallboard_page_router
from hotline.wallboard.routes import router as wallboard_router
from hotline.wallboard.services import Wallboard
from ivr.flow import FlowTimings, HotlineFlow
from ivr.lines import LineBook, LineProfile, load_lines
from ivr.ports import Sound
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiAgents, AmiClient, AmiError
from telephony.ami.queue_events import QueueEvents
from telephony.ari.client import AriClient
from telephony.ari.socket import AriEventSocket
from telephony.calls.leg import PromptMedia
from telephony.calls.notifier import CallNotifier
from telephony.calls.recordings import RecordingKeeper
from telephony.calls.session import CallSession
from telephony.calls.stasis import StasisApp
from telephony.media.calls import LiveCalls
from telephony.runtime.layout import resolve_layout
from telephony.sip.guard import SipGuard

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
        self.speech: SpeechEngine | None = None
        self.speech_error: str | None = None
        self.transcriber = Transcriber(self.book, self.speech_engine)
        self.transcriptions = BackgroundTranscriber(self.transcriber)
        self.intake = CasebookIntake(self.book, self._transcribe_later)
        self.call_log = CallLog(self.sessions, s.timezone)
        self.call_log_writer = CallLogWriter(self.bus, self.call_log)
        self.ops_metrics = OpsMetrics(self.bus, self.book, self.call_log_writer, self.lines)
        self.notifier = CallNotifier(self.bus)
        self.ari = AriClient(s.ari_url, s.ari_user, s.secret("ari_password"), s.ari_app)
        self.socket = AriEventSocket(s.ari_url, s.ari_user, s.secret("ari_password"), s.ari_app)
        self.ami = AmiClient(s.asterisk_host, s.ami_port, s.ami_user, s.secret("ami_password"))
        self.agents = AmiAgents(self.ami)
        self.desk = AgentDesk(
            AgentDirectory(self.sessions),
            self.ami,
            self.bus,
            book=self.book,
            lines=self.lines,
            wrapup_max_s=s.desk_wrapup_max_s,
            softphone_ws_url=s.softphone_ws_url or f"ws://{s.asterisk_host}:{s.ari_port}/ws",
            sip_domain=s.asterisk_host,
        )
        self.wallboard = Wallboard(
            self.bus,
            CallMetrics(self.sessions, s.timezone),
            CaseMetrics(self.sessions, s.timezone),
            Opinion(self.sessions, s.timezone),
            self.lines,
            desk=self.desk,
            threshold_s=s.service_level_s,
        )
        self.queue_events = QueueEvents(self.ami, self.notifier)
        self.queue_events.subscribe(self.desk.on_queue_event)
        self.queue_events.attach()
        self.keeper = RecordingKeeper(self.ari, AstDb(self.ami), self.intake, self.notifier)
        layout = resolve_layout(s)
        self.sip_guard = SipGuard.build(s, layout, self.notifier)  # blocks SIP password guessers
        self.live = LiveCalls(
            self.ari,
            self.notifier,
            lambda: self.speech if s.asr_live else None,
            host=s.media_host,
            port_start=s.media_port_start,
            port_end=s.media_port_end,
            max_streams=s.asr_max_live_streams,
            keep_call_transcript=self.intake.keep_call_transcript,
        )
        # satisfaction callbacks: scheduled on replies, placed through the trunk, answered in Stasis
        self.callbacks = CallbackDialler.build(s, self.book, self.ari, self.bus, self.notifier, self.lines)
        self.stasis = StasisApp(
            self.ari,
            self.socket,
            incoming=self.run_incoming,
            queue_message=self.run_queue_message,
            keeper=self.keeper,
            notifier=self.notifier,
            media=PromptMedia(layout.dir("sounds")),
            live=self.live,
            outbound=self.callbacks.outbound,
            callback=self.callbacks.run_callback,
        )
        self.timings = FlowTimings(
            menu_timeout_s=s.menu_timeout_s,
            digit_timeout_s=s.digit_timeout_s,
            record_max_s=s.record_max_s,
            record_silence_s=s.record_silence_s,
        )
        self.tz = ZoneInfo(s.timezone)

    # --- speech ------------------------------------------------------------------------------------
    def speech_engine(self) -> SpeechEngine:
        """The speech engine, loading the model on first use (`serve` loads it at start)."""
        if self.speech is None:
            model = load_model(resolve_model_path(self.settings.vosk_model), self.settings.asr_language)
            self.speech = SpeechEngine(model)
            self.speech.pool.warm(16000, count=2)
        return self.speech

    def load_speech(self) -> None:
        try:
            engine = self.speech_engine()
        except AsrError as exc:
            self.speech_error = str(exc)
            log.error("speech recognition unavailable: %s; calls are recorded and left for people", exc)
            return
        info = engine.model.info
        if info.language not in ("zh", "unknown"):
            log.warning(
                "speech model %s is %s, not Chinese: transcripts will not match the Chinese classifier "
                "(set HOTLINE_VOSK_MODEL to vosk-model-small-cn-0.22 or vosk-model-cn-0.22 in production)",
                info.name,
                info.language,
            )

    def _transcribe_later(self, call_id: str) -> None:
        if self.settings.task_mode == "celery":
            from casebook.tasks import send_or_leave_to_sweep
            from hotline.worker import transcribe_call_task

            send_or_leave_to_sweep(transcribe_call_task, call_id, what=f"transcription of call {call_id}")
        else:
            self.transcriptions.submit(call_id)

    async def speech_health(self) -> dict[str, Any]:
        if self.speech is None:
            return {"ok": False, "error": self.speech_error or "model not loaded yet"}
        return {"ok": True, **self.speech.describe(), "live_calls": len(self.live.active)}

    # --- the IVR for one call ----------------------------------------------------------------------
    async def run_incoming(self, session: CallSession) -> str:
        line = self.lines.by_number(session.leg.dialled_number)
        if line is None:
            await session.leg.answer()
            await session.leg.play(Sound("unknown-number"), interruptible=False)
            return "unknown-number"
        flow = self._flow(session, line)
        return await flow.run()

    async def run_queue_message(self, session: CallSession, prompt: str) -> str:
        """A caller back from a queue (key 1, or the wait ran out) leaves a message: a case."""
        line = self.lines.by_number(session.leg.dialled_number)
        if line is None:
            await session.leg.hangup()
            return "unknown-number"
        return await self._flow(session, line).leave_message(prompt)

    def _flow(self, session: CallSession, line: LineProfile) -> HotlineFlow:
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
        return flow

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
        checks = {
            "asterisk": self.asterisk_health,
            "stasis": self.stasis_health,
            "ami": self.ami_health,
            "speech": self.speech_health,
            "callbacks": self.callbacks.health,
        }
        services = Services(
            self.book,
            self.auth,
            self.reports,
            open311_public_reads=self.settings.open311_public_reads,
            screen_later=screen_later(self.settings, self.book),
            callbacks=self.callbacks.service,
            callbacks_placing=self.callbacks.placing if telephony else (False, "this process places no calls"),
        )
        app = create_app(services, checks if telephony else {})
        app.include_router(desk_router)
        app.include_router(agent_page_router)
        app.include_router(wallboard_router)
        app.include_router(wallboard_page_router)
        app.include_router(dashboard_router)
        app.add_route("/metrics", self.ops_metrics.endpoint, methods=["GET"], include_in_schema=False)
        if telephony:
            app.state.desk = self.desk
            app.state.wallboard = self.wallboard
        return app

    async def scan_clocks_forever(self) -> None:
        """Embedded mode's stand-in for Celery beat: the breach scan every minute, and the
        reports when they fall due (Monday 08:00, the 1st of the month 08:00)."""
        while True:
            try:
                await asyncio.to_thread(screen_pending, self.book)
                await asyncio.to_thread(self.transcriptions.sweep)
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
        async with asyncio.TaskGroup() as group:
            group.create_task(self.desk.run())
            group.create_task(self.stasis.run())
            group.create_task(self.sip_guard.run())

    async def serve(self, *, telephony: bool = True, api: bool = True, clocks: bool = True) -> None:
        await asyncio.to_thread(self.prepare)
        if telephony:
            await asyncio.to_thread(self.load_speech)
        async with asyncio.TaskGroup() as group:
            if api:  # /metrics' figures follow the bus wherever the API is served
                group.create_task(self.ops_metrics.run())
            if telephony:
                group.create_task(self.call_log_writer.run())
                group.create_task(self.wallboard.run())
                group.create_task(self.run_telephony())
                group.create_task(self.callbacks.run(self.stasis.ready))
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
                group.create_task(self._serve_api(uvicorn.Server(config)))

    @staticmethod
    async def _serve_api(server: uvicorn.Server) -> None:
        """uvicorn, closing its listening sockets when cancelled (it only does so on a signal), so
        a platform stopped and started in one process finds its port free."""
        try:
            await server.serve()
        finally:
            server.should_exit = True
            for listening in getattr(server, "servers", []):
                listening.close()

    async def close(self) -> None:
        self.ami.close()
        self.sip_guard.close()
        await self.ari.aclose()
        self.engine.dispose()
