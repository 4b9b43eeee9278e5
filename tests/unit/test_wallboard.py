"""The wallboard's live picture from platform events (pure bookkeeping), its figures from the
call log, and who may watch it over the WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.calllog.services import CallEventIn, CallLog
from casebook.cases.services import CaseBook
from casebook.metrics.calls import CallMetrics
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.opinion import Opinion
from casebook.reports.services import ReportService
from common.bus import EventBus, PlatformEvent
from hotline.features.wallboard.routes import page_router, router
from hotline.features.wallboard.services import Wallboard
from ivr.lines import load_lines

T0 = datetime.now(UTC) - timedelta(minutes=5)  # waits are measured against the real clock


def _board(book: CaseBook | None = None) -> Wallboard:
    sessions: Any = book.sessions if book else None
    return Wallboard(
        EventBus(),
        CallMetrics(sessions),
        CaseMetrics(sessions),
        Opinion(sessions),
        load_lines(None),
    )


def _feed(board: Wallboard, *events: tuple[float, str, str, dict[str, Any]]) -> None:
    for second, call_id, name, data in events:
        board.on_event(PlatformEvent(name, call_id, data, T0 + timedelta(seconds=second)))


def test_a_caller_moves_from_the_ivr_to_the_queue_to_an_agent_and_off_the_board() -> None:
    board = _board()
    _feed(board, (0, "c1", "call.started", {"line": "12345"}))
    assert board.snapshot()["now"]["in_ivr"] == 1
    # the IVR session ends as it hands the caller to the queue; the caller is still there
    _feed(board, (5, "c1", "call.ended", {"outcome": "transferred"}))
    assert board.snapshot()["now"]["in_ivr"] == 1
    _feed(board, (6, "c1", "queue.joined", {"queue": "intake", "position": 1}))
    now = board.snapshot()["now"]
    assert (now["in_ivr"], now["waiting"]) == (0, 1)
    assert now["longest_wait_s"] > 0
    _feed(board, (20, "c1", "queue.answered", {"queue": "intake", "member": "agent-a"}))
    now = board.snapshot()["now"]
    assert (now["waiting"], now["talking"]) == (0, 1)
    _feed(board, (80, "c1", "queue.completed", {"queue": "intake", "talk_s": 60}))
    now = board.snapshot()["now"]
    assert (now["in_ivr"], now["waiting"], now["talking"]) == (0, 0, 0)


def test_abandoned_and_message_leaving_callers_leave_the_waiting_list() -> None:
    board = _board()
    _feed(
        board,
        (0, "a", "call.started", {"line": "12345"}),
        (1, "a", "queue.joined", {"queue": "intake"}),
        (2, "b", "call.started", {"line": "96960"}),
        (3, "b", "queue.joined", {"queue": "intake"}),
    )
    assert board.snapshot()["now"]["waiting"] == 2
    _feed(board, (9, "a", "queue.abandoned", {"queue": "intake", "wait_s": 8}))
    assert board.snapshot()["now"]["waiting"] == 1
    _feed(board, (10, "b", "queue.left", {"queue": "intake"}))  # key 1 ...
    assert board.snapshot()["now"]["waiting"] == 0
    _feed(board, (10, "b", "ivr.queue-message", {"reason": "message-instead"}))  # ... back to leave a message
    assert board.snapshot()["now"] == {**board.snapshot()["now"], "waiting": 0, "in_ivr": 1}
    _feed(board, (60, "b", "call.ended", {"outcome": "reported"}))
    assert board.snapshot()["now"]["in_ivr"] == 0


def test_asterisk_saying_left_before_answered_keeps_the_call_in_its_queue() -> None:
    # expected, as Asterisk sends them: queue.joined, queue.left (the caller leaves the waiting
    # list as the agent is bridged), then queue.answered
    board = _board()
    _feed(
        board,
        (0, "c", "call.started", {"line": "12345"}),
        (1, "c", "queue.joined", {"queue": "intake"}),
        (5, "c", "queue.left", {"queue": "intake"}),
    )
    assert board.snapshot()["now"]["in_ivr"] == 0 and board.snapshot()["now"]["waiting"] == 0
    _feed(board, (5, "c", "queue.answered", {"queue": "intake", "member": "a"}))
    queues = {q["queue"]: q for q in board.snapshot()["queues"]}
    assert queues["intake"]["talking"] == 1 and "" not in queues


def test_a_call_whose_end_was_never_seen_leaves_the_board_after_four_hours() -> None:
    board = _board()
    board.on_event(PlatformEvent("call.started", "lost", {"line": "12345"}, datetime.now(UTC) - timedelta(hours=5)))
    assert board.snapshot()["now"]["in_ivr"] == 0 and not board.calls


def test_callbacks_application_events_and_odd_events_do_not_disturb_the_board() -> None:
    board = _board()
    version = board.version
    _feed(
        board,
        (0, "callback-1-1-ab", "call.started", {"line": "12345"}),
        (0, "-", "ari.connected", {}),
        (1, "ghost", "queue.answered", {}),  # never seen joining
        (2, "x", "queue.joined", {}),  # no queue named
    )
    snapshot = board.snapshot()
    assert snapshot["now"]["in_ivr"] == 0 and snapshot["now"]["waiting"] == 1
    assert board.version == version + 1


def test_todays_figures_come_from_the_call_log(book: CaseBook) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    tag = f"wb-{base:%H%M%S}"
    events = [
        CallEventIn(f"{tag}-1", base, "call.started", {"line": "12345"}),
        CallEventIn(f"{tag}-1", base + timedelta(seconds=5), "queue.joined", {"queue": "wb-q", "position": 1}),
        CallEventIn(f"{tag}-1", base + timedelta(seconds=8), "queue.abandoned", {"queue": "wb-q", "wait_s": 3}),
    ]
    CallLog(book.sessions).record(events)
    board = _board(book)
    board.today = board._today_calls()
    queues = {q["queue"]: q for q in board.snapshot()["queues"]}
    assert queues["wb-q"]["today"]["abandoned"] >= 1
    assert board.snapshot()["today"]["offered"] >= 1
    assert board.snapshot()["figures"]["service_level"]["formula_en"].startswith("answered within T")


@pytest.fixture
def client(book: CaseBook, auth: AuthService, reports: ReportService) -> TestClient:
    app = create_app(Services(book, auth, reports))
    app.include_router(router)
    app.include_router(page_router)
    app.state.wallboard = _board(book)
    return TestClient(app)


def _token(auth: AuthService, role: Role) -> str:
    name = f"wb-{role.value}-{datetime.now(UTC).timestamp()}"
    auth.create_user(name, role, password="a-long-password")
    return auth.login(name, "a-long-password")


def test_a_supervisor_watches_the_board_and_an_agent_or_a_stranger_may_not(
    client: TestClient, auth: AuthService
) -> None:
    with client.websocket_connect("/api/v1/wallboard/live") as socket:
        socket.send_json({"token": _token(auth, Role.SUPERVISOR)})
        board = socket.receive_json()
        assert board["type"] == "board" and "waiting" in board["now"]
    for token, code in ((_token(auth, Role.INTAKE_AGENT), 4403), ("not-a-token", 4401)):
        with client.websocket_connect("/api/v1/wallboard/live") as socket:
            socket.send_json({"token": token})
            refusal = socket.receive_json()
            assert refusal["type"] == "closed" and refusal["code"] == code
            with pytest.raises(WebSocketDisconnect):
                socket.receive_json()
    leader = {"Authorization": f"Bearer {_token(auth, Role.LEADER)}"}
    assert client.get("/api/v1/wallboard", headers=leader).json()["type"] == "board"
    assert client.get("/api/v1/wallboard").status_code == 401
    page = client.get("/wallboard")
    assert page.status_code == 200 and "wallboard.js" in page.text
    assert client.get("/wallboard/../routes.py").status_code == 404


def test_without_the_telephony_application_the_board_says_where_it_runs(
    book: CaseBook, auth: AuthService, reports: ReportService
) -> None:
    app = create_app(Services(book, auth, reports))
    app.include_router(router)
    client = TestClient(app)
    supervisor = {"Authorization": f"Bearer {_token(auth, Role.SUPERVISOR)}"}
    answer = client.get("/api/v1/wallboard", headers=supervisor)
    assert answer.status_code == 503 and "hotline serve" in answer.json()["detail"]


def test_agents_are_listed_each_with_their_state_and_the_reason_to_pause_in_words() -> None:
    from types import SimpleNamespace

    board = _board()
    paused = SimpleNamespace(username="li", extension="1001", status="paused", reason="meal", phone_online=True)
    by_supervisor = SimpleNamespace(
        username="wang", extension="1002", status="paused", reason="培训（sup-li）", phone_online=True
    )
    board.desk = SimpleNamespace(states={"li": paused, "wang": by_supervisor})  # type: ignore[assignment]
    rows = {a["username"]: a for a in board.snapshot()["agents"]}
    assert (rows["li"]["reason_zh"], rows["li"]["reason_en"]) == ("用餐", "Meal")  # the code in words
    assert rows["wang"]["reason_zh"] == "培训（sup-li）"  # a supervisor's own words, as written
