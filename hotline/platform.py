"""One running platform process: database, event bus, Stasis application, AMI, HTTP API.

`Platform` is built from settings (cheap: nothing connects until `run`), so tests can run a
whole platform inside their own event loop against a real Asterisk and a real database.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import uvicorn

from asr.engine import SpeechEngine
from asr.errors import AsrError
from asr.model import load_model, resolve_model_path
from asr.threads import DecodeThreads
from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.calllog.services import CallLog
from casebook.cases.notices import CaseNotice
from casebook.cases.screening import BackgroundScreener
from casebook.open311.limits import RateLimiter
from common.bus import EventBus
from common.paths import prompts_dir
from common.settings import Settings
from hotline.adapters import CasebookConversations, CasebookIntake, CasebookPlaces, FlowEvents
from hotline.bootstrap import bootstrap_casebook
from hotline.features import Feature, Parts, Work
from hotline.features.callbacks.dialler import CallbackDialler
from hotline.features.transcription.conversations import ConversationTranscriber
from hotline.features.transcription.services import BackgroundTranscriber, Transcriber
from hotline.jobs import run_embedded
from hotline.pages import wiring as pages
from hotline.relay import case_event
from hotline.root import build_casebook
from hotline.server import api_server
from hotline.services import lines_book
from ivr.flow import FlowTimings, HotlineFlow
from ivr.lines import LineBook, LineProfile, load_lines
from ivr.ports import Resumption, Sound
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiAgents, AmiClient, AmiError
from telephony.ami.queue_events import QueueEvents
from telephony.ari.client import AriClient
from telephony.ari.socket import AriEventSocket
from telephony.calls.conversations import ConversationKeeper
from telephony.calls.leg import PromptMedia
from telephony.calls.notifier import CallNotifier
from telephony.calls.recordings import RecordingKeeper
from telephony.calls.session import CallSession
from telephony.calls.stasis import StasisApp
from telephony.media.calls import LiveCalls
from telephony.media.tap import TAP_RATE
from telephony.runtime.layout import resolve_layout
from telephony.sip.guard import SipGuard

log = logging.getLogger(__name__)

T = TypeVar("T")

# The features of a platform process, one line each: the folder of hotline/features/ whose `wiring.py`
# builds the feature (hotline/features/__init__.py). In this order their routes are mounted and their work
# starts; a feature that takes a port (hotline/ports.py) comes after the one that offers it.
FEATURES = (
    "desk",  # offers the agents on duty
    "wallboard",  # takes the agents on duty
    "dashboard",
    "calllog",  # offers its backlog
    "opsmetrics",  # takes the call log's backlog; /metrics follows the bus
    "callbacks",
    "casework",  # the landing page, the case list and the case page
    "lines",  # the lines edited from the admin page; Asterisk kept in step with them and the phones
)


def _state_of(features: list[Feature]) -> dict[str, object]:
    """What the features put on `app.state`, by name: a name two features both use is a mistake."""
    state: dict[str, object] = {}
    for feature in features:
        for name, value in (*feature.state.items(), *feature.api_state.items()):
            if name in state:
                raise ValueError(f"two features put {name!r} on the app's state (the second: {feature.name})")
            state[name] = value
    return state


@dataclass
class Platform:
    settings: Settings
    lines: LineBook = field(init=False)
    bus: EventBus = field(default_factory=EventBus)

    def __post_init__(self) -> None:
        s = self.settings
        self.lines = load_lines(s.lines_file)
        self.casebook = build_casebook(s)
        self.engine, self.sessions = self.casebook.engine, self.casebook.sessions
        self.book, self.auth, self.reports = self.casebook.book, self.casebook.auth, self.casebook.reports
        self.notifications, self.senders = self.casebook.notifications, self.casebook.senders
        self.book.subscribe(self._publish_case_notice)
        self.speech: SpeechEngine | None = None
        self.speech_error: str | None = None
        self.transcriber = Transcriber(self.book, self.speech_engine)
        self.transcriptions = BackgroundTranscriber(self.transcriber)
        self.intake = CasebookIntake(self.book, self._transcribe_later, self.transcriber.run_live)
        self.call_log = CallLog(self.sessions, s.timezone)
        self.notifier = CallNotifier(self.bus)
        asterisk, speech, ivr = s.asterisk, s.speech, s.ivr
        self.ari = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.ari_secret(), asterisk.ari_app)
        self.socket = AriEventSocket(asterisk.ari_url, asterisk.ari_user, asterisk.ari_secret(), asterisk.ari_app)
        if asterisk.ari_over_socket:  # decision 0030: requests ride the event websocket
            self.ari.route_through(self.socket)
        self.ami = AmiClient(asterisk.host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret())
        self.agents, self.queue_events = AmiAgents(self.ami), QueueEvents(self.ami, self.notifier)
        self.queue_events.attach()
        self.keeper = RecordingKeeper(self.ari, AstDb(self.ami), self.intake, self.notifier)
        self.conversations, self.conversation_transcripts = self._conversations()
        layout = resolve_layout(asterisk)
        self.sip_guard = SipGuard.build(s.sip_guard, asterisk, layout, self.notifier)  # blocks SIP password guessers
        self.decoding = DecodeThreads()  # live speech, one thread per core but one, at the loop's priority
        self.transcriber.step = self._decode_stored  # stored messages: behind live callers
        self.live = LiveCalls(
            self.ari,
            self.notifier,
            lambda: self.speech if speech.live else None,
            host=speech.media_host,
            port_start=speech.media_port_start,
            port_end=speech.media_port_end,
            max_streams=speech.max_live_streams,
            keep_call_transcript=self.intake.keep_call_transcript,
            threads=self.decoding,
        )
        self.callbacks, self.places = self._callbacks()
        self.stasis = StasisApp(
            self.ari,
            self.socket,
            incoming=self.run_incoming,
            queue_message=self.run_queue_message,
            queue_callback=self.run_queue_callback,
            resume=self.run_resumed,
            record_max_s=ivr.record_max_s,
            keeper=self.keeper,
            notifier=self.notifier,
            media=PromptMedia(layout.dir("sounds")),
            live=self.live,
            outbound=self.callbacks.outbound,
            callback=self.callbacks.run_callback,
        )
        self.timings = FlowTimings(**ivr.model_dump())  # the IVR's group is its timings
        self.tz = ZoneInfo(s.timezone)
        self.built = self._build_features()
        self.state = _state_of(self.built)

    def _callbacks(self) -> tuple[CallbackDialler, CasebookPlaces | None]:
        """Callbacks: the satisfaction question scheduled on replies, and keep-my-place (key 2 in
        a queue, only where calls can be placed); placed through the trunk, answered in Stasis."""
        dialler = CallbackDialler.build(
            self.settings.callbacks, self.book, self.ari, self.bus, self.notifier, self.lines, self.agents
        )
        return dialler, CasebookPlaces(dialler.service) if dialler.placing[0] else None

    def _conversations(self) -> tuple[ConversationKeeper, ConversationTranscriber]:
        """Conversations with agents: recorded by Asterisk, taken once each call is over, both
        sides transcribed behind the callers (issue 19)."""
        transcripts = ConversationTranscriber(self.book, self.speech_engine)
        transcripts.step = self._decode_stored  # behind live callers
        keeper = ConversationKeeper(self.ari, CasebookConversations(self.book, transcripts.submit), self.notifier)
        self.queue_events.subscribe(keeper.on_queue_event)
        self.ami.on_event("UserEvent", keeper.on_user_event)
        return keeper, transcripts

    def _build_features(self) -> list[Feature]:
        """The telephony application, the pages' shared client, then each of `FEATURES` from the
        process's shared parts."""
        parts = Parts(
            self.settings,
            self.bus,
            self.book,
            self.sessions,
            self.lines,
            self.call_log,
            self.ami,
            self.queue_events,
            self.callbacks,
            self.stasis.ready,
        )
        telephony_checks = {
            "asterisk": self.asterisk_health,
            "stasis": self.stasis_health,
            "ami": self.ami_health,
            "speech": self.speech_health,
        }
        built = [
            Feature("telephony", with_telephony=(self.run_telephony,), checks=telephony_checks),
            pages.feature(parts),  # what every page shares: mounted first
        ]
        for name in FEATURES:
            built.append(importlib.import_module(f"hotline.features.{name}.wiring").feature(parts))
        return built

    # --- speech ------------------------------------------------------------------------------------
    def speech_engine(self) -> SpeechEngine:
        """The speech engine, loading the model on first use (`serve` loads it at start)."""
        if self.speech is None:
            speech = self.settings.speech
            model = load_model(resolve_model_path(speech.vosk_model), speech.language)
            self.speech = SpeechEngine(model, keep_idle=speech.keep_recognizers)
            self.speech.pool.warm(TAP_RATE, count=2)
        return self.speech

    def load_speech(self) -> None:
        try:
            engine = self.speech_engine()
        except AsrError as exc:
            self.speech_error = str(exc)
            log.error("speech recognition unavailable: %s; calls are recorded and left for people", exc)
            return
        self._warm_speech(engine)
        info = engine.model.info
        if info.language not in ("zh", "unknown"):
            log.warning(
                "speech model %s is %s, not Chinese: transcripts will not match the Chinese classifier "
                "(set HOTLINE_VOSK_MODEL to vosk-model-small-cn-0.22 or vosk-model-cn-0.22 in production)",
                info.name,
                info.language,
            )

    def _warm_speech(self, engine: SpeechEngine) -> None:
        """Warm recognizers for the first callers (a fresh one decodes at a quarter of the speed),
        with the menu prompt as speech, on the decoding threads behind the callers: calls are
        answered and heard meanwhile."""
        count = self.settings.speech.warm_at_start
        menu = prompts_dir(self.settings) / "zh" / "menu.wav"
        if count <= 0 or not menu.exists():
            return

        def warm() -> None:
            try:
                audio = menu.read_bytes()
                with ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="speech-warming") as workers:
                    jobs = range(os.cpu_count() or 1)
                    made = sum(
                        workers.map(lambda _: engine.prime(audio, count, rate=TAP_RATE, step=self._decode_stored), jobs)
                    )
                log.info("speech: %d recognizers warmed", made)
            except (AsrError, OSError) as exc:
                log.warning("speech: recognizers not warmed (%s)", exc)

        threading.Thread(target=warm, name="speech-warming", daemon=True).start()

    def _decode_stored(self, piece: Callable[[], T]) -> T:
        """A piece of a stored message's decoding (or of the warming): while calls are up, on the
        live decoding threads behind every caller (one core is left to the event loop, Asterisk
        and the database); with none, here, on every core, so the backlog of a peak drains at the
        machine's speed (bench/RESULTS.md, issue 18)."""
        if self.stasis.sessions:
            return self.decoding.in_background(piece)
        return piece()

    def _transcribe_later(self, call_id: str) -> None:
        if self.settings.task_mode == "celery":
            from hotline.worker import NEW_MESSAGE, send_or_leave_to_sweep, transcribe_call_task

            what = f"transcription of call {call_id}"
            send_or_leave_to_sweep(transcribe_call_task, call_id, what=what, priority=NEW_MESSAGE)
        else:
            self.transcriptions.submit(call_id)

    def _screen_later(self) -> Callable[[str, str | None], None]:
        """After intake, screening runs in a Celery worker (celery mode) or a thread of this process."""
        if self.settings.task_mode == "celery":
            from hotline.worker import screen_task, send_or_leave_to_sweep

            def send(number: str, category: str | None) -> None:
                send_or_leave_to_sweep(screen_task, number, category, what=f"screening of {number}")

            return send
        return BackgroundScreener(self.book).submit

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
        flow = await self._flow_of_line(session)
        return await flow.leave_message(prompt) if flow else "unknown-number"

    async def run_queue_callback(self, session: CallSession, queue: str) -> str:
        """A caller who pressed 2 in a queue: a short message, then a callback when an agent is free."""
        flow = await self._flow_of_line(session)
        return await flow.keep_place(queue) if flow else "unknown-number"

    async def run_resumed(self, session: CallSession, where: Resumption) -> str:
        """A caller adopted after this process restarted: their flow resumes from what Asterisk kept."""
        flow = await self._flow_of_line(session)
        return await flow.resume(where) if flow else "unknown-number"

    async def _flow_of_line(self, session: CallSession) -> HotlineFlow | None:
        """The flow of the line a caller coming back to the application dialled; none (the call is
        ended) for a number no line has any more."""
        line = self.lines.by_number(session.leg.dialled_number)
        if line is None:
            await session.leg.hangup()
            return None
        return self._flow(session, line)

    def _flow(self, session: CallSession, line: LineProfile) -> HotlineFlow:
        flow = HotlineFlow(
            session.leg,
            line,
            intake=self.intake,
            agents=self.agents,
            events=FlowEvents(self.notifier),
            now=lambda: datetime.now(self.tz),
            timings=self.timings,
            places=self.places,
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
        self.bus.publish(case_event(notice.kind, notice.number, notice.status, notice.data))

    def api_works(self) -> list[Work]:
        """What runs beside every process that serves the API: the features' works (the case feed)
        and the relay of the other processes' case notices, when it is on."""
        works = [work for feature in self.built for work in feature.with_api]
        if self.casebook.relay is not None:
            relay = self.casebook.relay
            works.append(lambda: relay.run(self.bus))
        return works

    @contextlib.asynccontextmanager
    async def api_lifespan(self, _app: Any) -> AsyncIterator[None]:
        """The API's works for a server that runs the app alone (hotline/asgi.py); `serve` runs
        them itself."""
        tasks = [asyncio.create_task(work()) for work in self.api_works()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def api(self, *, telephony: bool = True) -> Any:
        features = self.built
        services = Services(
            self.book,
            self.auth,
            self.reports,
            open311_public_reads=self.settings.open311_public_reads,
            open311_limits=RateLimiter(self.settings.open311_requests_per_minute),
            screen_later=self._screen_later(),
            callbacks=self.callbacks.service,
            callbacks_placing=self.callbacks.placing if telephony else (False, "this process places no calls"),
            notifications=self.casebook.notifications,
        )
        checks = {name: check for feature in features for name, check in feature.checks.items()}
        softphone = urlsplit(self.settings.desk.softphone_ws_url)  # the agent page's browser phone
        app = create_app(
            services, checks if telephony else {}, connect_sources=(f"{softphone.scheme}://{softphone.netloc}",)
        )
        for feature in features:
            for router in feature.routers:
                app.include_router(router)
            for name, value in feature.api_state.items():
                setattr(app.state, name, value)
            if telephony:
                for name, value in feature.state.items():
                    setattr(app.state, name, value)
        return app

    def resend_lost_transcriptions(self) -> int:
        """For the scheduled jobs (`hotline.jobs`): this process's thread takes them again."""
        return self.transcriptions.sweep()

    # --- running -----------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Take the lines in force, seed the directory, name the lines' channels, create the
        development credentials; load the screening's word segmenter (seconds of CPU holding the
        GIL: at the first screening it stalled every call in progress)."""
        self.lines.take(lines_book(self.settings, self.sessions))
        bootstrap_casebook(self.settings, self.sessions, self.auth, self.lines)
        self.book.classifier().words.warm()

    async def run_telephony(self) -> None:
        try:
            await self.ami.connect()
        except AmiError as exc:
            log.warning("%s; continuing (panoramisk retries in the background)", exc)
        async with asyncio.TaskGroup() as group:
            group.create_task(self.stasis.run())
            group.create_task(self.sip_guard.run())
            group.create_task(self.live.load.watch())
            group.create_task(self.conversations.run())
            self.conversation_transcripts.start()  # any a crash left untranscribed, in a minute

    async def serve(self, *, telephony: bool = True, api: bool = True, clocks: bool = True) -> None:
        await asyncio.to_thread(self.prepare)
        if telephony:
            await asyncio.to_thread(self.load_speech)
        async with asyncio.TaskGroup() as group:
            for feature in self.built:
                for work in feature.with_telephony if telephony else ():
                    group.create_task(work(), name=f"{feature.name}: {getattr(work, '__name__', 'work')}")
            for work in self.api_works() if api else ():
                group.create_task(work(), name=f"api: {getattr(work, '__name__', 'work')}")
            if clocks and self.settings.task_mode == "embedded":
                group.create_task(run_embedded(self, tick_s=self.settings.breach_scan_interval_s))
            if api:
                server = api_server(
                    self.api(telephony=telephony),
                    self.settings.api_host,
                    self.settings.api_port,
                    trusted_proxies=self.settings.trusted_proxies,
                    lifespan="off",
                )
                group.create_task(self._serve_api(server))

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
        await asyncio.to_thread(self.transcriptions.close)
        await asyncio.to_thread(self.conversation_transcripts.close)
        self.decoding.close()
        self.ami.close()
        self.sip_guard.close()
        await self.ari.aclose()
        self.casebook.close()
