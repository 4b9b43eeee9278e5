"""Every route the platform serves, behind the role checks, walked with every role.

The HTTP surface is the platform's own: `Platform(settings).api(telephony=False)` is what
`hotline serve` serves (the casebook's API and Open311, the agent desk, the wallboard, the
dashboard, the pages, `/metrics`) without Asterisk. The walk reads the routes from that app (HTTP
and WebSocket), never from a list. Each route has one entry in ACCESS saying who may use it,
derived from the policy (`casebook.auth.policy.ACTIONS`): a route added without an entry fails
`test_every_route_is_in_the_table`, and an entry saying "logged in" over a route that checks
nothing fails the walk (nobody gets a 401 from it).

Per route and caller (every Role of the policy, a unit handler of another unit, and strangers:
no token, a made-up one, a revoked one, not a bearer token):
- a stranger gets a 401 with a reason, except on the PUBLIC routes (each says why it is public);
- a caller the table does not allow gets a 403 with a reason, or the 404 a unit gets for another
  unit's case (it does not learn that the case exists);
- a caller the table allows never gets a 401/403 nor a server error (503 only where the route
  runs with the telephony application, which this app leaves out).
A route that changes a case gets a fresh case dispatched to `env` for each caller, so each caller
meets the case in a state where the check is made.

The walk has a database of its own: it creates people, cases and keys and rewrites the routing
rules (with themselves), which tests sharing the session's database must not see.
"""

from __future__ import annotations

import inspect
import io
import itertools
import re
import secrets
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select, update
from starlette.websockets import WebSocketDisconnect

from casebook.agents.services import AgentDirectory
from casebook.api.deps import current_actor, reader
from casebook.auth.policy import ACTIONS, Actor, Role
from casebook.calllog.services import CallEventIn, CallLog
from casebook.cases.intake import NewAppeal
from casebook.cases.transcripts import SpeechText
from casebook.classify.corpus import load
from casebook.conversations.services import ConversationAudio
from casebook.db.models import AuditEntry, Case, DeadlinePolicy, User
from common.settings import Settings
from hotline.platform import Platform
from ivr.lines import load_lines
from tests.files import png
from tests.unit.conftest import AGENT, SUPERVISOR

PASSWORD = "a-long-password"
PEOPLE = frozenset(Role) - {Role.SYSTEM}  # every role a person can have
READERS = ACTIONS["read_all"] | {Role.UNIT_HANDLER}  # of a case: whoever reads all, and its units


@dataclass(frozen=True)
class Caller:
    role: Role
    unit: str | None = None


CALLERS = {
    "intake_agent": Caller(Role.INTAKE_AGENT),
    "unit_handler": Caller(Role.UNIT_HANDLER, "env"),  # the walk's cases are dispatched to env
    "unit_handler_of_another_unit": Caller(Role.UNIT_HANDLER, "water"),
    "supervisor": Caller(Role.SUPERVISOR),
    "leader": Caller(Role.LEADER),
    "admin": Caller(Role.ADMIN),
    # the platform's own role: no person has it (create_user refuses it); its token comes from a
    # users row forged in the database, and must open nothing
    "system": Caller(Role.SYSTEM),
}
STRANGERS = ("nobody", "a made-up token", "a revoked token", "not a bearer token")


# --- who may use each route ------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role]
    public: str = ""  # why the route needs no token ("": it needs one)
    declared: str | None = None  # the action of the route's own `allowed(...)` dependency
    other_unit: int | None = None  # what a handler of another unit gets on the walk's case
    body: Callable[[World], Any] | None = None  # a minimal valid body (JSON, or a form)
    form: bool = False
    files: Callable[[World], Any] | None = None  # a multipart upload
    query: Callable[[World], dict[str, Any]] | None = None
    params: dict[str, str] = field(default_factory=dict)  # path parameters of this route
    telephony: bool = False  # runs with `hotline serve` only: here a 503 for those allowed
    own_token: bool = False  # it ends the token it is called with: called with a new one of the same person
    csv: str | None = None  # a CSV file as the body (text/csv)


def public(why: str, **kw: Any) -> Access:
    return Access(PEOPLE, public=why, **kw)


def logged_in(**kw: Any) -> Access:
    """Anyone logged in; what they see is their own (their cases, their phone)."""
    return Access(PEOPLE, **kw)


def declared(action: str, **kw: Any) -> Access:
    """The route itself depends on `allowed(action)`: refused before the body is read."""
    return Access(ACTIONS[action], declared=action, **kw)


def checked(action: str, body: Callable[[World], Any] | None = None, **kw: Any) -> Access:
    """The casebook's service checks `require(actor, action)`, after it found the case and checked
    that the actor may see it: on another unit's case a unit handler gets "no case", whatever
    the action, as for a number that does not exist (it learns nothing of the case)."""
    return Access(ACTIONS[action], other_unit=404, body=body, **kw)


def reads_case() -> Access:
    """One case's data: whoever reads every case, and the units it was given to."""
    return Access(READERS, other_unit=404)


def const(body: dict[str, Any]) -> Callable[[World], Any]:
    return lambda _: body


PAGE = "a page's shell or asset: static files, no data (the page fetches its data from the API with a token)"
OPEN311 = "Open311: citizens' apps present a channel's api_key (refused without one), not a person's token"
ACCESS: dict[str, Access] = {
    # --- public --------------------------------------------------------------------------------
    "GET /status": public("health of the database, Asterisk, Stasis, AMI, speech, for monitors; no case data"),
    "GET /metrics": public("Prometheus' scrape: counts by line, queue and clock only, never a number, call id or name"),
    "GET /openapi.json": public("the API's description, no data"),
    "GET /docs": public("the API's description, no data"),
    "GET /pages/lib/{package}/{name}": public(
        "the documentation pages' bundles as npm installed them",
        params={"package": "redoc", "name": "redoc.standalone.js"},
    ),
    "GET /redoc": public("the API's description, no data"),
    "POST /api/v1/auth/login": public(
        "where a token is had", body=lambda w: {"username": w.login_name, "password": PASSWORD}
    ),
    "GET /agent": public(PAGE),
    "GET /agent/{name}": public(PAGE, params={"name": "agent.js"}),
    "GET /agent/sip.js/{name:path}": public(PAGE + "; SIP.js as npm installed it", params={"name": "index.js"}),
    "GET /wallboard": public(PAGE),
    "GET /wallboard/{name}": public(PAGE, params={"name": "wallboard.js"}),
    "GET /dashboard": public(PAGE),
    "GET /dashboard/echarts.min.js": public(PAGE + "; ECharts as npm installed it"),
    "GET /dashboard/{asset}": public(PAGE, params={"asset": "dashboard.js"}),
    "GET /": public(PAGE + "; the landing page lists the pages after sign-in"),
    "GET /cases": public(PAGE),
    "GET /admin": public(PAGE + "; its data is the administrators' API"),
    "GET /cases/{number}": public(PAGE + "; the case's data is GET /api/v1/cases/{number}"),
    "GET /casework/{asset}": public(PAGE, params={"asset": "cases.js"}),
    "GET /pages/{asset}": public(PAGE, params={"asset": "client.js"}),
    "GET /open311/v2/discovery.{fmt}": public(OPEN311 + "; the discovery document"),
    "GET /open311/v2/services.{fmt}": public(OPEN311 + "; the service list is the category tree"),
    "GET /open311/v2/services/{service_code}.{fmt}": public(OPEN311 + "; one category"),
    "POST /open311/v2/requests.{fmt}": public(OPEN311, body=const({}), form=True),
    "GET /open311/v2/requests.{fmt}": public(OPEN311 + " unless the center turns public reads on"),
    "GET /open311/v2/requests/{service_request_id}.{fmt}": public(OPEN311 + " unless public reads are on"),
    "GET /open311/v2/tokens/{token}.{fmt}": public(OPEN311 + "; a token the citizen's app holds -> its request id"),
    # --- cases ---------------------------------------------------------------------------------
    "GET /api/v1/cases": logged_in(),
    "POST /api/v1/cases": checked("open", lambda w: {"channel": "web", "description": w.text(), "screen": False}),
    "GET /api/v1/cases/{number}": reads_case(),
    "GET /api/v1/cases/{number}/recordings/{name}": reads_case(),
    "GET /api/v1/cases/{number}/attachments/{attachment_id}": reads_case(),
    "GET /api/v1/cases/{number}/compare/{other}": reads_case(),
    "GET /api/v1/cases/{number}/conversations": reads_case(),
    "GET /api/v1/conversations/{conversation_id}/audio/{side}": reads_case(),  # of the walk's case's call
    "GET /api/v1/me/conversations": logged_in(),
    "PUT /api/v1/cases/{number}/recording-hold": checked("hold_recordings", const({"reason": "市民对录音有争议"})),
    "POST /api/v1/cases/links": logged_in(body=lambda w: {"path": w.recording_path}),  # 404: a case not theirs
    "POST /api/v1/cases/{number}/attachments": checked(
        "attach", files=const({"file": ("notice.txt", "已现场查看".encode(), "text/plain")})
    ),
    "POST /api/v1/cases/{number}/extension": checked(
        "ask_extension", lambda w: {"until": w.in_sixty_days, "reason": "需要联合执法"}
    ),
    "POST /api/v1/cases/{number}/extension/decision": checked("grant_extension", const({"granted": True})),
    "GET /api/v1/cases/{number}/callbacks": reads_case(),
    "POST /api/v1/cases/{number}/register": checked("register", const({"category": "environment.noise"})),
    "POST /api/v1/cases/{number}/dispatch": checked("dispatch", const({"lead_unit": "env"})),
    "POST /api/v1/cases/{number}/return": checked("return", const({"reason": "not ours"})),
    "POST /api/v1/cases/{number}/accept": checked("accept", const({"section": "inspection"})),
    "POST /api/v1/cases/{number}/reply": checked("reply", const({"text": "已责令停工"})),
    "POST /api/v1/cases/{number}/satisfaction": checked("satisfaction", const({"verdict": "satisfied"})),
    "POST /api/v1/cases/{number}/close": checked("close", const({"reason": "withdrawn"})),
    "POST /api/v1/cases/{number}/reopen": checked("reopen", const({"reason": "again"})),
    "POST /api/v1/cases/{number}/interview": checked("schedule_interview", lambda w: {"at": w.tomorrow}),
    "POST /api/v1/cases/{number}/interview/outcome": checked("record_interview", const({"satisfied": True})),
    "POST /api/v1/cases/{number}/joint-sessions": checked(
        "joint_session", const({"participants": ["env", "water"], "lead_unit": "env", "decision": "会办"})
    ),
    "POST /api/v1/cases/{number}/leader-decision": checked(
        "leader_decision", lambda w: {"decision": "限期整改", "deadline": w.tomorrow}
    ),
    "POST /api/v1/cases/{number}/merge": checked("merge", lambda w: {"master": w.master}),
    "POST /api/v1/cases/{number}/unmerge": checked("unmerge", const({"reason": "not the same"})),
    "POST /api/v1/cases/{number}/callback": checked("callback"),
    "POST /api/v1/cases/{number}/called-back": checked("callback", const({"reached": True})),
    "GET /api/v1/calls/{call_id}/events": declared("read_all"),
    # --- directory, people, phones -------------------------------------------------------------
    "GET /api/v1/units": logged_in(),
    "GET /api/v1/categories": logged_in(),
    "GET /api/v1/places": logged_in(),
    "GET /api/v1/channels": logged_in(),
    "GET /api/v1/routing-rules": logged_in(),
    "GET /api/v1/deadlines": logged_in(),
    "GET /api/v1/settings/callback-hours": declared("directory_write"),
    "PUT /api/v1/settings/callback-hours": declared("directory_write", body=const({"hours": "09:00-20:00"})),
    "GET /api/v1/routing/models": declared("directory_write"),
    "POST /api/v1/routing/models": declared("directory_write"),
    "POST /api/v1/routing/models/rollback": declared("directory_write"),
    "POST /api/v1/routing/models/{model_id}/activate": declared("directory_write", params={"model_id": "999999"}),
    "GET /api/v1/lines": declared("directory_write"),
    # the packaged lines again: the session's database keeps the lines every other test expects
    "PUT /api/v1/lines": declared("directory_write", body=const(load_lines().model_dump(mode="json"))),
    "DELETE /api/v1/lines": declared("directory_write"),
    "GET /api/v1/routing/suggestion": logged_in(query=const({"category": "environment.noise"})),
    "PUT /api/v1/routing-rules": declared("directory_write", body=lambda w: {"rules": w.rules}),
    "PUT /api/v1/deadlines/{category}/{urgency}": declared("directory_write", query=lambda w: {"hours": w.deadline[2]}),
    "GET /api/v1/me": logged_in(),
    "GET /api/v1/notifications": logged_in(),  # each reads their own bell
    "GET /api/v1/views": logged_in(),  # each their own saved views of the case list
    "POST /api/v1/views": logged_in(body=lambda w: {"name": w.unique("view")[-40:], "query": "status=dispatched"}),
    "DELETE /api/v1/views/{view_id}": logged_in(params={"view_id": "999999"}),  # 404: none of theirs
    "POST /api/v1/notifications/read": logged_in(body=const({})),
    "PUT /api/v1/units/{code}/mail": declared(
        "directory_write", body=const({"by_email": False}), params={"code": "water"}
    ),
    "POST /api/v1/users": declared(
        "users", body=lambda w: {"username": w.unique("person"), "role": "intake_agent", "password": PASSWORD}
    ),
    "POST /api/v1/api-keys": declared("users", body=lambda w: {"name": w.unique("key"), "channel": "web"}),
    "GET /api/v1/api-keys": declared("users"),
    "DELETE /api/v1/api-keys/{name}": declared("users", params={"name": "walk-revoked-key"}),
    "GET /api/v1/users": declared("users"),
    "GET /api/v1/users/{username}": declared("users", params={"username": "walk-target"}),
    "PATCH /api/v1/users/{username}": declared(
        "users", body=const({"display_name": "王五"}), params={"username": "walk-target"}
    ),
    "POST /api/v1/users/{username}/password": declared("users", params={"username": "walk-target"}),
    "POST /api/v1/users/{username}/sign-out": declared("users", params={"username": "walk-target"}),
    "POST /api/v1/users/{username}/unlock": declared("users", params={"username": "walk-target"}),
    "POST /api/v1/auth/refresh": logged_in(own_token=True),
    "POST /api/v1/auth/logout": logged_in(own_token=True),
    # each their own password; the walk's keeps it (422: the new one is the current one)
    "POST /api/v1/auth/password": logged_in(body=const({"current": PASSWORD, "new": PASSWORD})),
    "GET /api/v1/users.csv": declared("users"),
    "POST /api/v1/users.csv": declared(
        "users", csv="username,display_name,role,unit\nwalk-csv-person,王五,intake_agent,\n"
    ),
    "PUT /api/v1/units/{code}": declared(
        "directory_write",
        body=const({"kind": "department", "name_zh": "试验局", "name_en": "Test bureau"}),
        params={"code": "walk-unit"},
    ),
    "PUT /api/v1/categories/{code}": declared(
        "directory_write",
        body=const({"name_zh": "试验", "name_en": "Test", "parent": "environment", "keywords": ["试验"]}),
        params={"code": "environment.walk-test"},
    ),
    "PUT /api/v1/places/{code}": declared(
        "directory_write", body=const({"name_zh": "试验村", "aliases": ["试村"]}), params={"code": "walk-place"}
    ),
    "DELETE /api/v1/places/{code}": declared("directory_write", params={"code": "walk-no-such-place"}),  # 404
    "GET /api/v1/directory/{kind}.csv": declared("directory_write", params={"kind": "units"}),
    "POST /api/v1/directory/{kind}.csv": declared(
        "directory_write",
        params={"kind": "places"},
        csv="code,name_zh,township,aliases\nwalk-csv-place,试验组,,\n",
    ),
    "GET /api/v1/audit": declared("users"),
    "GET /api/v1/audit.csv": declared("users"),
    "POST /api/v1/agents": checked("users", lambda w: {"username": w.phoneless, "extension": "7201"}),
    "GET /api/v1/agents": checked("read_all"),
    "POST /api/v1/agents/{extension}/sip-password": checked("users"),
    "DELETE /api/v1/agents/{extension}": checked("users", params={"extension": "7999"}),  # 404: none there
    # --- reports and figures -------------------------------------------------------------------
    "GET /api/v1/reports/monthly/{month}": declared("reports"),
    "GET /api/v1/reports/leader-duty/{monday}": declared("reports"),
    "GET /api/v1/metrics/clock": declared("reports"),
    "GET /api/v1/metrics/calls": declared("reports"),
    "GET /api/v1/metrics/cases": declared("reports"),
    "GET /api/v1/metrics/opinion": declared("reports"),
    "GET /api/v1/metrics/surges": declared("reports"),
    # --- the agent desk (its own phone, its own call) and the wallboard ------------------------
    "GET /api/v1/desk": logged_in(telephony=True),
    "POST /api/v1/desk/login": logged_in(telephony=True),
    "GET /api/v1/desk/softphone": logged_in(telephony=True),
    "POST /api/v1/desk/logout": logged_in(telephony=True),
    "POST /api/v1/desk/pause": logged_in(telephony=True, body=const({"reason": "break"})),
    "POST /api/v1/desk/resume": logged_in(telephony=True),
    "POST /api/v1/desk/ready": logged_in(telephony=True),
    "GET /api/v1/desk/transfer-targets": logged_in(telephony=True),
    "POST /api/v1/desk/transfer": logged_in(telephony=True, body=const({"to": "queue", "target": "efficiency"})),
    "POST /api/v1/desk/consult": logged_in(telephony=True, body=const({"to": "queue", "target": "intake"})),
    "POST /api/v1/desk/consult/end": logged_in(telephony=True, body=const({"how": "cancel"})),
    "POST /api/v1/desk/dial": logged_in(telephony=True, body=lambda w: {"case": w.case}),
    "POST /api/v1/desk/calls/{call_id}/case": logged_in(
        telephony=True, body=const({"description": "路灯不亮", "category": "urban.streetlights"})
    ),
    "WS /api/v1/desk/live": logged_in(telephony=True),
    "GET /api/v1/wallboard": declared("reports", telephony=True),
    "POST /api/v1/wallboard/agents/{agent}/join": declared(
        "supervise", body=const({"mode": "listen"}), params={"agent": "walk-agent"}, telephony=True
    ),
    "POST /api/v1/wallboard/agents/{agent}/pause": declared(
        "supervise", body=const({"reason": "培训"}), params={"agent": "walk-agent"}, telephony=True
    ),
    "POST /api/v1/wallboard/agents/{agent}/sign-out": declared(
        "supervise", params={"agent": "walk-agent"}, telephony=True
    ),
    "GET /api/v1/wallboard/agents/{agent}/transcript": declared(
        "supervise", params={"agent": "walk-agent"}, telephony=True
    ),
    "WS /api/v1/wallboard/live": Access(ACTIONS["reports"], telephony=True),  # checked in the socket
    "WS /api/v1/cases/live": logged_in(),  # each reader is told of the cases it may see only
}


# --- the app's own routes ----------------------------------------------------------------------------


def served(app: FastAPI) -> dict[str, Any]:
    """Every route of the app as `METHOD path` (`WS path` for a WebSocket) -> its route context."""
    routes: dict[str, Any] = {}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIWebSocketRoute):
            routes[f"WS {context.path}"] = context
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            routes[f"{method} {context.path}"] = context
    return routes


def dependencies(dependant: Dependant | None) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies if dependant else []:
        if sub.call is not None:
            yield sub.call
        yield from dependencies(sub)


def declared_actions(context: Any) -> set[str]:
    """The actions of the `allowed(action)` dependencies the route declares."""
    found = set()
    for call in dependencies(getattr(context, "dependant", None)):
        if getattr(call, "__qualname__", "") == "allowed.<locals>.check":
            found.add(inspect.getclosurevars(call).nonlocals["action"])
    return found


# --- the world the walk runs in ----------------------------------------------------------------------

TRANSCRIPT = "五津镇学校旁边的河里有死猪，很臭"
CALLER_NUMBER = "13800000091"


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 800)
    return out.getvalue()


WAV = _wav()
PNG = png()


@dataclass
class World:
    platform: Platform
    app: FastAPI
    client: TestClient
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # caller -> headers
    usernames: dict[str, str] = field(default_factory=dict)  # caller -> their user name
    strangers: dict[str, dict[str, str]] = field(default_factory=dict)
    stamp: str = field(default_factory=lambda: secrets.token_hex(3))
    counter: Iterator[int] = field(default_factory=itertools.count)
    login_name: str = ""  # a person who logs in with PASSWORD
    case: str = ""  # a phone message of env's: caller, recording, transcript, call log
    case_token: str = ""
    call_id: str = ""
    recording: str = ""
    other_case: str = ""  # a case of water's
    master: str = ""  # what the walk merges duplicates into
    deadline: tuple[str, str, float] = ("default", "normal", 1.0)  # a handling deadline as it is
    extension: str = "7101"  # an agent's phone
    phoneless: str = ""  # an intake agent without a phone
    rules: list[dict[str, Any]] = field(default_factory=list)  # the routing rules as they are
    today: date = field(default_factory=date.today)
    tomorrow: str = ""
    in_sixty_days: str = ""
    attachment: str = ""  # the id of a file on `case`
    conversation: str = ""  # the id of a recorded conversation of `case`'s call

    @property
    def recording_path(self) -> str:
        return f"/api/v1/cases/{self.case}/recordings/{self.recording}"

    def unique(self, prefix: str) -> str:
        return f"walk-{prefix}-{self.stamp}-{next(self.counter)}"

    def text(self) -> str:
        return f"夜间施工噪音扰民 ({self.unique('case')})"

    def new_case(self, unit: str = "env", *, call_id: str | None = None, phone: str | None = None) -> str:
        """A case registered and dispatched to `unit`, as the center's intake would leave it."""
        book = self.platform.book
        channel = "line-12345" if call_id else "web"
        appeal = NewAppeal(channel=channel, description=self.text(), caller_phone=phone, call_id=call_id)
        number = book.open(appeal, AGENT).number
        book.register(number, SUPERVISOR, category="environment.noise")
        book.dispatch(number, SUPERVISOR, lead=unit)
        return number

    def param(self, name: str, number: str) -> str:
        values = {
            "number": number,
            "name": self.recording,
            "extension": self.extension,
            "call_id": self.call_id,
            "month": self.today.strftime("%Y-%m"),
            "monday": (self.today - timedelta(days=self.today.weekday())).isoformat(),
            "category": self.deadline[0],
            "urgency": self.deadline[1],
            "fmt": "json",
            "service_code": "environment.noise",
            "service_request_id": self.case,
            "token": self.case_token,
            "attachment_id": self.attachment,
            "conversation_id": self.conversation,
            "side": "mixed",
            "other": self.master,
        }
        return values[name]

    def prepare(self) -> None:
        book, auth = self.platform.book, self.platform.auth
        for name, caller in CALLERS.items():
            username = f"walk-{name}-{self.stamp}"
            auth.create_user(
                username,
                caller.role if caller.role != Role.SYSTEM else Role.INTAKE_AGENT,
                unit=caller.unit,
                password=PASSWORD,
            )
            if caller.role == Role.SYSTEM:
                with book.sessions() as s:
                    s.execute(update(User).where(User.username == username).values(role=Role.SYSTEM.value))
                    s.commit()
            self.tokens[name] = {"Authorization": f"Bearer {auth.issue_token(username)}"}
            self.usernames[name] = username
        auth.create_user("walk-target", Role.INTAKE_AGENT, password=PASSWORD)  # whom the users routes change
        auth.create_api_key("walk-revoked-key", "web")
        self.login_name = f"walk-intake_agent-{self.stamp}"
        revoked = auth.issue_token(self.login_name)
        auth.revoke(revoked)
        self.strangers = {
            "nobody": {},
            "a made-up token": {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
            "a revoked token": {"Authorization": f"Bearer {revoked}"},
            "not a bearer token": {"Authorization": "Basic YWRtaW46YS1sb25nLXBhc3N3b3Jk"},
        }
        # a phone message: a case of env with its caller, recording and transcript
        self.call_id = self.unique("call")
        self.case = self.new_case(call_id=self.call_id, phone=CALLER_NUMBER)
        self.recording = self.unique("message")
        book.attach_recording(self.call_id, self.recording, WAV, "audio/wav", 0.2)
        book.store_transcript(self.call_id, SpeechText("file", TRANSCRIPT, "zh", "vosk-test"))
        talk = ConversationAudio(self.unique("conv"), self.call_id, book.clock.now(), WAV, WAV, WAV, 0.2)
        self.conversation = str(book.conversations.keep(talk))  # the caller's talk with an agent
        CallLog(book.sessions).record([CallEventIn(self.call_id, book.clock.now(), "call.started", {"line": "12345"})])
        self.other_case = self.new_case("water")
        self.master = self.new_case()
        with book.sessions() as s:
            self.case_token = str(s.scalar(select(Case.token).where(Case.number == self.case)))
            policy = s.scalars(select(DeadlinePolicy).order_by(DeadlinePolicy.category_code)).first()
            assert policy is not None
            self.deadline = (policy.category_code, policy.urgency, policy.hours)
        # phones: one agent with an extension, one intake agent without
        admin = Actor("walk-admin", Role.ADMIN)
        directory = AgentDirectory(book.sessions)
        for prefix in ("phone", "phoneless"):
            auth.create_user(f"walk-{prefix}-{self.stamp}", Role.INTAKE_AGENT, password=PASSWORD)
        directory.create(admin, f"walk-phone-{self.stamp}", self.extension, {})
        self.phoneless = f"walk-phoneless-{self.stamp}"
        rules = self.client.get("/api/v1/routing-rules", headers=self.tokens["admin"]).json()
        self.rules = [{k: v for k, v in rule.items() if k != "position"} for rule in rules]
        now = book.clock.now().astimezone(book.tz)
        self.today = now.date()
        self.tomorrow = (now + timedelta(days=1)).isoformat()
        self.in_sixty_days = (now + timedelta(days=60)).isoformat()
        self.attachment = str(book.attach(self.case, SUPERVISOR, name="photo.png", data=PNG).id)

    def last_audit_entry(self) -> int:
        with self.platform.book.sessions() as s:
            return int(s.scalar(select(func.max(AuditEntry.id))) or 0)

    def audited(self, key: str, after: int) -> bool:
        """Whether the route `key` left an entry since `after`, with who called it and from where."""
        with self.platform.book.sessions() as s:
            entries = list(s.scalars(select(AuditEntry).where(AuditEntry.id > after, AuditEntry.action == key)))
        return any(e.actor != "anonymous" and e.address and e.outcome < 400 for e in entries)

    def send(self, key: str, headers: dict[str, str]) -> httpx.Response:
        """The route called as its table entry says, with a fresh case where it changes one."""
        method, path = key.split(" ", 1)
        access = ACCESS[key]
        number = self.new_case() if "{number}" in path and method != "GET" else self.case

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return access.params.get(name) or self.param(name, number)

        url = re.sub(r"\{(\w+)(?::\w+)?\}", value, path)
        if access.own_token:  # the caller's own token stays for the rest of the walk
            who = next((name for name, known in self.tokens.items() if known == headers), None)
            if who is not None:
                headers = {"Authorization": f"Bearer {self.platform.auth.issue_token(self.usernames[who])}"}
        kwargs: dict[str, Any] = {"headers": headers}
        if access.query is not None:
            kwargs["params"] = access.query(self)
        if access.body is not None:
            kwargs["data" if access.form else "json"] = access.body(self)
        if access.files is not None:
            kwargs["files"] = access.files(self)
        if access.csv is not None:
            kwargs["content"] = access.csv.encode()
            kwargs["headers"] = {**headers, "Content-Type": "text/csv"}
        answer: httpx.Response = self.client.request(method, url, **kwargs)
        return answer


@pytest.fixture(scope="module")
def database(own_database: str) -> str:
    """The walk creates users and keys and rewrites the routing rules: a database of its own."""
    return own_database


@pytest.fixture(scope="module")
def world(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database,
        data_dir=tmp_path_factory.mktemp("route-walk"),
        ari_password=SecretStr("a" * 20),
        ami_password=SecretStr("b" * 20),
    )
    platform = Platform(settings)
    # a training (POST /routing/models) learns from a fifth of the corpus: the walk checks who may
    # train, not the model (tests/unit/test_routing_model.py), and the whole corpus takes 45 s
    platform.book.models.corpus = lambda: load()[::5]
    app = platform.api(telephony=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(platform, app, client)
        world.prepare()
        yield world
    screener = getattr(app.state.services.screen_later, "__self__", None)
    if screener is not None:  # Open311 intake screens in a thread: let it finish before the database goes
        screener.drain(10)
    platform.engine.dispose()


# --- the table ---------------------------------------------------------------------------------------


def test_every_route_is_in_the_table(world: World) -> None:
    routes = served(world.app)
    missing = sorted(routes.keys() - ACCESS.keys())
    stale = sorted(ACCESS.keys() - routes.keys())
    assert missing == [], f"routes nobody said who may use (add them to ACCESS): {missing}"
    assert stale == [], f"ACCESS names routes the platform does not serve: {stale}"


def test_every_role_of_the_policy_is_walked() -> None:
    assert {caller.role for caller in CALLERS.values()} == set(Role)


def test_the_table_agrees_with_each_routes_own_check(world: World) -> None:
    """A route that needs a login depends on `current_actor`, or on `reader` (a token, or a ticket
    for that very file), and a public one on neither; the `allowed(action)` a route declares is
    the one its entry is derived from."""
    problems = []
    for key, context in served(world.app).items():
        access = ACCESS[key]
        if key.startswith("WS "):
            assert not access.public, f"{key}: the live channels all need a token"
            continue
        calls = set(dependencies(getattr(context, "dependant", None)))
        if bool(access.public) == bool({current_actor, reader} & calls):
            problems.append(f"{key}: public={bool(access.public)} but depends on current_actor={not access.public}")
        if declared_actions(context) != ({access.declared} - {None}):
            problems.append(f"{key}: declares {declared_actions(context)}, the table says {access.declared}")
        if access.declared is not None:
            assert access.roles == ACTIONS[access.declared]
    assert problems == []


# --- the walk ----------------------------------------------------------------------------------------


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else ""


@pytest.mark.parametrize("stranger", STRANGERS)
def test_strangers_get_a_401_everywhere_but_the_public_routes(world: World, stranger: str) -> None:
    problems = []
    for key in served(world.app):
        if key.startswith("WS "):
            continue
        answer = world.send(key, world.strangers[stranger])
        if ACCESS[key].public:
            if answer.status_code == 401 or answer.status_code >= 500:
                problems.append(f"{key}: {answer.status_code} {answer.text[:120]}")
        elif answer.status_code != 401 or not _detail(answer) or answer.headers.get("www-authenticate") != "Bearer":
            problems.append(f"{key}: {answer.status_code} {answer.text[:120]}")
    assert problems == []


@pytest.mark.parametrize("who", CALLERS)
def test_each_role_gets_what_the_table_gives_it(world: World, who: str) -> None:
    caller = CALLERS[who]
    problems = []
    for key in served(world.app):
        if key.startswith("WS "):
            continue
        access = ACCESS[key]
        last_entry = world.last_audit_entry()
        answer = world.send(key, world.tokens[who])
        status, said = answer.status_code, _detail(answer)
        if not key.startswith("GET ") and status < 400 and not world.audited(key, last_entry):
            problems.append(f"{key}: {status}, and no audit entry of {world.usernames[who]} for it")
        if access.public:
            ok = status != 401 and status < 500
        elif caller.unit == "water" and access.other_unit is not None and _of_one_case(key):
            # another unit's case is not there for this caller, whatever the action and its role
            ok = status == access.other_unit and bool(said)
        elif caller.role not in access.roles:
            ok = status == 403 and bool(said)  # what a role may never do says nothing of the case
        else:
            ok = status not in (401, 403) and (status < 500 or (access.telephony and status == 503))
            if key.startswith("GET ") and not access.telephony:
                ok = ok and status == 200  # a read the caller may do is served
        if not ok:
            problems.append(f"{key}: {status} {answer.text[:160]}")
    assert problems == [], f"{who} ({caller.role.value}, unit {caller.unit})"


def _of_one_case(key: str) -> bool:
    """A route of one case's data: by its number, or a conversation of its call."""
    return "{number}" in key or "{conversation_id}" in key


# Every live channel refuses the platform's own role as HTTP does (4403); nothing is pinned here.
KNOWN_WS_GAPS: dict[tuple[str, str], int] = {}


def _socket(world: World, path: str, first: str) -> tuple[dict[str, Any], int]:
    """Open the live channel, send `first`, and return the refusal and its close code."""
    with world.client.websocket_connect(path) as socket:
        socket.send_text(first)
        message = socket.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    return message, closed.value.code


def test_live_channels_refuse_strangers_and_roles_not_allowed(world: World) -> None:
    """Refused means a `closed` message with its reason, then the close code, and no data:
    4400 when no token is sent, 4401 for a token nobody knows, 4403 for a role not allowed; the
    roles allowed get past the login to the 4503 of a channel served by `hotline serve` only."""
    problems = []
    sockets = [key for key in served(world.app) if key.startswith("WS ")]
    assert sockets, "the platform serves the agent page's and the wallboard's live channels"
    for key in sockets:
        path, access = key.split(" ", 1)[1], ACCESS[key]
        firsts = {
            "no token sent": ("hello", 4400),
            "an empty token": ('{"token": ""}', 4401),
            "a made-up token": (f'{{"token": "{secrets.token_urlsafe(32)}"}}', 4401),
            "a revoked token": (f'{{"token": "{world.strangers["a revoked token"]["Authorization"][7:]}"}}', 4401),
        }
        for who, caller in CALLERS.items():
            token = world.tokens[who]["Authorization"][7:]
            allowed = caller.role in access.roles
            code = KNOWN_WS_GAPS.get((key, who), (4503 if access.telephony else 0) if allowed else 4403)
            firsts[who] = (f'{{"token": "{token}"}}', code)
        for who, (first, code) in firsts.items():
            if code == 0:  # served here, and this caller may follow it: its first message is not a refusal
                with world.client.websocket_connect(path) as socket:
                    socket.send_text(first)
                    if socket.receive_json().get("type") == "closed":
                        problems.append(f"{key} {who}: refused, expected to be let in")
                continue
            message, closed_with = _socket(world, path, first)
            if message.get("type") != "closed" or message.get("code") != code or closed_with != code:
                problems.append(f"{key} {who}: {message} closed {closed_with}, expected {code}")
            elif not message.get("reason"):
                problems.append(f"{key} {who}: refused without a reason")
    assert problems == []


# --- recordings and transcripts ----------------------------------------------------------------------


def test_a_recording_is_served_to_those_who_may_read_its_case_and_to_nobody_else(world: World) -> None:
    path = f"/api/v1/cases/{world.case}/recordings/{world.recording}"
    for who, caller in CALLERS.items():
        answer = world.client.get(path, headers=world.tokens[who])
        if caller.role == Role.SYSTEM:
            assert answer.status_code == 403, who
        elif caller.unit == "water":  # another unit's case: as if it did not exist
            assert answer.status_code == 404 and answer.content != WAV, who
        else:
            assert answer.status_code == 200, (who, answer.text)
            assert answer.headers["content-type"] == "audio/wav" and answer.content == WAV
    for headers in world.strangers.values():
        assert world.client.get(path, headers=headers).status_code == 401
    # a unit reading its own case cannot fetch another case's recording through it
    through = f"/api/v1/cases/{world.other_case}/recordings/{world.recording}"
    water = world.tokens["unit_handler_of_another_unit"]
    assert world.client.get(f"/api/v1/cases/{world.other_case}", headers=water).status_code == 200
    assert world.client.get(through, headers=water).status_code == 404
    # and no name reaches outside the recordings
    for name in ("..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..%5C..%5Cetc", "a..b"):
        answer = world.client.get(f"/api/v1/cases/{world.case}/recordings/{name}", headers=world.tokens["supervisor"])
        assert answer.status_code in (404, 422) and "root:" not in answer.text


def test_a_transcript_is_shown_to_those_who_may_read_its_case_and_to_nobody_else(world: World) -> None:
    env, water = world.tokens["unit_handler"], world.tokens["unit_handler_of_another_unit"]
    mine = world.client.get(f"/api/v1/cases/{world.case}", headers=env)
    assert mine.status_code == 200
    assert mine.json()["transcript"] == TRANSCRIPT and mine.json()["transcripts"][0]["text"] == TRANSCRIPT
    assert mine.json()["recordings"] == [world.recording]
    theirs = world.client.get(f"/api/v1/cases/{world.case}", headers=water)
    assert theirs.status_code == 404 and TRANSCRIPT not in theirs.text
    for query in ({"limit": 500}, {"caller_number": CALLER_NUMBER}, {"unit": "env"}):
        listed = world.client.get("/api/v1/cases", params=query, headers=water)
        assert listed.status_code == 200, listed.text
        assert TRANSCRIPT not in listed.text and world.case not in listed.text and CALLER_NUMBER not in listed.text
    # the call's own log (with the caller's line and times) is for those who read every case
    events = f"/api/v1/calls/{world.call_id}/events"
    assert world.client.get(events, headers=env).status_code == 403
    assert [e["name"] for e in world.client.get(events, headers=world.tokens["intake_agent"]).json()] == [
        "call.started"
    ]


def test_open311_never_gives_out_audio_transcripts_or_the_callers_number(world: World) -> None:
    # a key of the phone message's own channel (another channel's key does not read it at all)
    channel = world.client.get(f"/api/v1/cases/{world.case}", headers=world.tokens["supervisor"]).json()["channel"]
    key = world.platform.auth.create_api_key(world.unique("open311"), channel)
    private = (CALLER_NUMBER, TRANSCRIPT, world.recording, ".wav", world.call_id)
    reads: tuple[tuple[str, dict[str, str]], ...] = (
        ("/open311/v2/requests.json", {"service_request_id": world.case}),
        ("/open311/v2/requests.xml", {"service_request_id": world.case}),
        (f"/open311/v2/requests/{world.case}.json", {}),
        (f"/open311/v2/requests/{world.case}.xml", {}),
        ("/open311/v2/requests.json", {}),  # the latest requests, the phone message among them
    )
    for path, query in reads:
        refused = world.client.get(path, params=query)
        assert refused.status_code == 403, (path, refused.text)  # no key, no reads at this center
        answer = world.client.get(path, params={**query, "api_key": key})
        assert answer.status_code == 200 and world.case in answer.text, (path, answer.text)
        leaked = [p for p in private if p in answer.text]
        assert leaked == [], (path, leaked)
    token = world.client.get(f"/open311/v2/tokens/{world.case_token}.json")
    assert token.json() == [{"service_request_id": world.case, "token": world.case_token}]
    # a request given with a phone number: the number is kept for the center, never given back
    phone = "13800000093"
    form = {
        "api_key": key,
        "service_code": "urban.streetlights",
        "address_string": "五津镇",
        "description": "路灯不亮",
        "phone": phone,
    }
    created = world.client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 200 and phone not in created.text, created.text
    number = created.json()[0]["service_request_id"]
    again = world.client.get(f"/open311/v2/requests/{number}.json", params={"api_key": key})
    assert again.status_code == 200 and phone not in again.text
    supervisor = world.client.get(f"/api/v1/cases/{number}", headers=world.tokens["supervisor"])
    assert supervisor.json()["caller_number"] == phone  # kept, for the center's people


def test_a_route_without_a_check_would_be_caught(world: World) -> None:
    """The walk's own guard: an extra route that forgets its check fails the table test."""
    extra = FastAPI(docs_url=None, redoc_url=None)  # (the platform serves its own)
    extra.router.routes.extend(world.app.router.routes)

    @extra.get("/api/v1/cases-export")
    def leak() -> list[str]:
        return ["every case"]

    assert sorted(served(extra).keys() - ACCESS.keys()) == ["GET /api/v1/cases-export"]
