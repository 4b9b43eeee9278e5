"""The agent desk's decisions over a scripted AMI (logic only; tests/e2e rings real phones)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from casebook.agents.services import AgentDirectory
from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.reports.services import ReportService
from common.bus import EventBus
from hotline.features.desk.routes import router as desk_router
from hotline.features.desk.services import AgentDesk
from telephony.ami.client import AmiError, QueueMember

ADMIN = Actor("admin", Role.ADMIN)


class ScriptedAmi:
    def __init__(self, *, down: bool = False, members: set[tuple[str, str]] | None = None) -> None:
        self.down = down
        self.members = members if members is not None else set()
        self.paused: dict[str, str] = {}
        self.unreachable: set[str] = set()  # interfaces whose phone is not registered

    async def queue_add(self, queue: str, interface: str, *, member_name: str = "", penalty: int = 0) -> None:
        if self.down:
            raise ConnectionError("AMI not connected")
        if (queue, interface) in self.members:
            raise AmiError("AMI QueueAdd refused: Unable to add interface: Already there")
        self.members.add((queue, interface))

    async def queue_remove(self, queue: str, interface: str) -> None:
        if (queue, interface) not in self.members:
            raise AmiError("AMI QueueRemove refused: Unable to remove interface: Not there")
        self.members.discard((queue, interface))

    async def queue_pause(self, queue: str | None, interface: str, paused: bool, reason: str = "") -> None:
        if paused:
            self.paused[interface] = reason
        else:
            self.paused.pop(interface, None)

    async def queue_members(self) -> list[QueueMember]:
        """Every member, its phone unavailable (5) when its extension is among `unreachable`."""
        return [
            QueueMember(
                queue, "", interface, 0, interface in self.paused, "", 5 if interface in self.unreachable else 1, False
            )
            for queue, interface in sorted(self.members)
        ]


def _client(book: CaseBook, auth: AuthService, reports: ReportService, ami: ScriptedAmi) -> tuple[TestClient, EventBus]:
    bus = EventBus()
    app = create_app(Services(book, auth, reports))
    app.include_router(desk_router)
    app.state.desk = AgentDesk(AgentDirectory(book.sessions, book.clock), ami, bus)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False), bus


def _agent(auth: AuthService, book: CaseBook, name: str, extension: str | None) -> dict[str, str]:
    auth.create_user(name, Role.INTAKE_AGENT, password="a-long-password")
    if extension:
        AgentDirectory(book.sessions).create(ADMIN, name, extension, {"intake": 0, "efficiency": 2})
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


def test_an_agent_logs_in_to_the_queues_of_their_skills_pauses_and_leaves(
    book: CaseBook, auth: AuthService, reports: ReportService
) -> None:
    stamp = book.clock.now().strftime("%d%H%M")
    ami = ScriptedAmi(members={("intake", "PJSIP/5101")})  # already in one queue (a second tab)
    client, _bus = _client(book, auth, reports, ami)
    me = _agent(auth, book, f"desk-{stamp}", "5101")
    assert client.get("/api/v1/desk", headers=me).json()["status"] == "logged_out"
    state = client.post("/api/v1/desk/login", headers=me).json()
    assert state["status"] == "available" and state["queues"] == {"efficiency": 2, "intake": 0}
    assert ami.members == {("intake", "PJSIP/5101"), ("efficiency", "PJSIP/5101")}
    paused = client.post("/api/v1/desk/pause", json={"reason": "training"}, headers=me).json()
    assert paused["status"] == "paused" and paused["reason"] == "training" and ami.paused == {"PJSIP/5101": "training"}
    assert paused["paused"] is True  # the page enables "Resume" from it
    assert client.post("/api/v1/desk/resume", headers=me).json()["status"] == "available"
    assert client.post("/api/v1/desk/logout", headers=me).json()["status"] == "logged_out" and not ami.members


def test_an_agent_whose_phone_is_not_registered_is_never_counted_available(
    book: CaseBook, auth: AuthService, reports: ReportService
) -> None:
    """A phone that never registered raises no member event: the desk asks Asterisk at login."""
    stamp = book.clock.now().strftime("%d%H%M")
    ami = ScriptedAmi()
    ami.unreachable = {"PJSIP/5103"}
    client, _bus = _client(book, auth, reports, ami)
    me = _agent(auth, book, f"unplugged-{stamp}", "5103")
    state = client.post("/api/v1/desk/login", headers=me).json()
    assert state["phone_online"] is False and state["queues"]  # in the queues, shown "phone not connected"
    ami.unreachable.clear()
    assert client.post("/api/v1/desk/login", headers=me).json()["phone_online"] is True


def test_desk_refusals_are_clear(book: CaseBook, auth: AuthService, reports: ReportService) -> None:
    stamp = book.clock.now().strftime("%d%H%M")
    client, _ = _client(book, auth, reports, ScriptedAmi(down=True))
    no_phone = _agent(auth, book, f"nophone-{stamp}", None)
    answer = client.post("/api/v1/desk/login", headers=no_phone)
    assert answer.status_code == 404 and "has no phone" in answer.json()["detail"]
    assert answer.json()["error"] == "no_phone"  # the id the page translates
    me = _agent(auth, book, f"down-{stamp}", "5102")
    down = client.post("/api/v1/desk/login", headers=me)
    assert down.status_code == 503 and "not reachable" in down.json()["detail"]
    assert down.json()["error"] == "phone_system_down"
    empty = client.post("/api/v1/desk/pause", json={}, headers=me)
    assert empty.status_code == 422 and empty.json()["error"] == "invalid_request"
    anonymous = client.post("/api/v1/desk/login")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_logged_in"


def test_the_transfer_form_tells_which_queues_have_somebody_to_answer(
    book: CaseBook, auth: AuthService, reports: ReportService
) -> None:
    """A caller sent into a queue nobody is signed in to finds nobody: the page disables it."""
    from ivr.lines import load_lines

    stamp = book.clock.now().strftime("%d%H%M")
    ami = ScriptedAmi()
    client, _bus = _client(book, auth, reports, ami)
    client.app.state.desk.lines = load_lines()  # type: ignore[attr-defined]
    me = _agent(auth, book, f"giver-{stamp}", "5104")
    other = _agent(auth, book, f"taker-{stamp}", "5105")  # skills: intake and efficiency
    client.post("/api/v1/desk/login", headers=me)
    before = client.get("/api/v1/desk/transfer-targets", headers=me).json()
    assert before["answering"]["intake"] == 0 and before["answering"]["efficiency"] == 0  # only me
    client.post("/api/v1/desk/login", headers=other)
    after = client.get("/api/v1/desk/transfer-targets", headers=me).json()
    assert after["answering"]["intake"] == 1 and after["answering"]["efficiency"] == 1
    assert set(after["answering"]) == set(after["queues"])


def test_the_page_offers_the_reasons_to_pause_of_the_agents_queues_and_wrap_up_lasts_as_their_queue_says(
    book: CaseBook, auth: AuthService, reports: ReportService
) -> None:
    from ivr.lines import load_lines

    stamp = book.clock.now().strftime("%d%H%M")
    client, _bus = _client(book, auth, reports, ScriptedAmi())
    desk = client.app.state.desk  # type: ignore[attr-defined]
    desk.lines = load_lines()
    me = _agent(auth, book, f"reasons-{stamp}", "5106")  # skills: intake and efficiency
    state = client.get("/api/v1/desk", headers=me).json()
    assert [r["code"] for r in state["pause_reasons"]][-1] == "follow-up"  # efficiency's own reason
    assert state["pause_reasons"][0] == {"code": "break", "zh": "休息", "en": "Break"}
    from hotline.features.desk.screenpop import DeskCall

    mine = desk.states[f"reasons-{stamp}"]
    mine.call = DeskCall("c", "efficiency", "", "", "", [], 0.0)
    assert desk._wrapup_limit(mine) == 300.0  # efficiency's wrap-up
    mine.call = DeskCall("c", "intake", "", "", "", [], 0.0)
    assert desk._wrapup_limit(mine) == desk.wrapup_max_s  # intake has none of its own
