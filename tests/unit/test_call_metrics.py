"""Call metrics from event logs with known answers: every formula, and the edge cases (a call
abandoned while ringing, a transfer, an agent pausing mid-wrap-up, a late wrap-up).

Each test writes a small call log through the real CallLog (PostgreSQL), which sums up the calls
as it stores them, then reads the figures of that test's own day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casebook.calllog.services import CallEventIn, CallLog
from casebook.cases.services import CaseBook
from casebook.db.models import QueueVisit
from casebook.metrics.calls import CallMetrics
from casebook.metrics.facts import LoggedEvent, rebuild, summarise
from casebook.metrics.occupancy import agent_time

TZ = ZoneInfo("Asia/Shanghai")


class Log:
    """Events at seconds after the test's base time."""

    def __init__(self, base: datetime) -> None:
        self.base = base
        self.events: list[CallEventIn] = []

    def at(self, second: float, call_id: str, name: str, **data: object) -> Log:
        self.events.append(CallEventIn(call_id, self.base + timedelta(seconds=second), name, dict(data)))
        return self

    def answered_call(
        self,
        call_id: str,
        t: float,
        *,
        queue: str = "q-general",
        line: str = "12345",
        wait: int,
        talk: int,
        agent: str = "agent-a",
        wrapup: float | None = None,
    ) -> Log:
        self.at(t, call_id, "call.started", line=line)
        self.at(t + 10, call_id, "queue.joined", queue=queue, line=line, position=1)
        self.at(t + 10 + wait - 1, call_id, "queue.ringing", queue=queue, member=agent, extension="1001")
        self.at(
            t + 10 + wait, call_id, "queue.answered", queue=queue, member=agent, extension="1001", wait_s=wait, ring_s=1
        )
        self.at(
            t + 10 + wait + talk,
            call_id,
            "queue.completed",
            queue=queue,
            member=agent,
            wait_s=wait,
            talk_s=talk,
            reason="caller",
        )
        self.at(t + 10 + wait + talk + 1, call_id, "call.ended", outcome="transferred")
        if wrapup is not None:
            self.at(
                t + 10 + wait + talk + wrapup,
                f"agent:{agent}",
                "agent.ready",
                wrapup_s=wrapup,
                how="saved",
                call=call_id,
            )
        return self

    def abandoned_call(
        self,
        call_id: str,
        t: float,
        *,
        wait: int,
        position: int = 2,
        ringing: bool = False,
        queue: str = "q-general",
        line: str = "12345",
    ) -> Log:
        self.at(t, call_id, "call.started", line=line)
        self.at(t + 10, call_id, "queue.joined", queue=queue, line=line, position=position)
        if ringing:
            self.at(t + 10 + wait - 2, call_id, "queue.ringing", queue=queue, member="agent-a")
        self.at(
            t + 10 + wait,
            call_id,
            "queue.abandoned",
            queue=queue,
            position=position,
            original_position=position,
            wait_s=wait,
        )
        self.at(t + 10 + wait, call_id, "call.ended", outcome="caller-hung-up")
        return self


@pytest.fixture
def metrics(book: CaseBook) -> CallMetrics:
    return CallMetrics(book.sessions, "Asia/Shanghai")


def _day(book: CaseBook) -> datetime:
    return book.clock.now().astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)


def test_offered_answered_abandoned_asa_aht_and_service_level_have_known_answers(
    book: CaseBook, metrics: CallMetrics
) -> None:
    base = _day(book)
    tag = base.strftime("%Y%m%d")
    log = Log(base)
    log.answered_call(f"m1-{tag}", 0, wait=10, talk=100, wrapup=20)  # within 20 s
    log.answered_call(f"m2-{tag}", 300, wait=30, talk=200, wrapup=40)  # after 20 s
    log.abandoned_call(f"m3-{tag}", 600, wait=5, position=3)  # abandoned within 20 s
    log.abandoned_call(f"m4-{tag}", 900, wait=60, position=1)  # abandoned after 20 s
    CallLog(book.sessions).record(log.events)

    table = metrics.table(base.date(), base.date(), "queue", threshold_s=20)
    total = table["total"]
    assert total["offered"] == 4
    assert total["answered"] == 2
    assert total["abandoned"] == 2
    assert total["abandon_rate"] == 50.0
    assert total["asa"] == 20.0  # (10 + 30) / 2
    assert total["aht"] == 180.0  # (100 + 20 + 200 + 40) / 2
    assert total["avg_talk"] == 150.0
    assert total["avg_wrapup"] == 30.0
    assert total["service_level"] == 50.0  # 1 of 2 answered within 20 s
    assert total["service_level_abandons"] == 50.0  # (1 answered + 1 abandoned within 20 s) / 4
    assert total["avg_abandon_wait"] == 32.5
    assert total["avg_abandon_position"] == 2.0
    assert total["max_wait"] == 60.0
    assert [row["key"] for row in table["rows"]] == ["q-general"]
    columns = {c["key"]: c for c in table["columns"]}
    assert "T秒内接通" in columns["service_level"]["formula"]
    english = metrics.table(base.date(), base.date(), "queue", lang="en")
    assert {c["key"]: c for c in english["columns"]}["asa"]["formula"].startswith("sum of waits")


def test_a_day_with_no_calls_gives_zero_counts_and_no_rates(book: CaseBook, metrics: CallMetrics) -> None:
    day = _day(book).date() + timedelta(days=3)
    total = metrics.table(day, day, "total")["total"]
    assert total["offered"] == 0 and total["calls"] == 0
    assert total["asa"] is None and total["service_level"] is None and total["abandon_rate"] is None


def test_a_caller_hanging_up_while_the_agent_phone_rings_is_abandoned_not_a_missed_ring(
    book: CaseBook, metrics: CallMetrics
) -> None:
    base = _day(book)
    log = Log(base).abandoned_call(f"ring-{base:%Y%m%d}", 0, wait=8, ringing=True)
    CallLog(book.sessions).record(log.events)
    total = metrics.table(base.date(), base.date(), "total")["total"]
    assert total["abandoned"] == 1 and total["abandoned_ringing"] == 1
    assert total["missed_rings"] == 0
    agents = metrics.table(base.date(), base.date(), "agent")
    assert agents["total"]["missed_rings"] == 0


def test_a_transfer_counts_the_talk_and_offers_the_call_to_the_second_queue(
    book: CaseBook, metrics: CallMetrics
) -> None:
    base = _day(book)
    call = f"xfer-{base:%Y%m%d}"
    log = Log(base)
    log.at(0, call, "call.started", line="96960")
    log.at(5, call, "queue.joined", queue="q-general", line="96960", position=1)
    log.at(9, call, "queue.answered", queue="q-general", member="agent-a", extension="1001", wait_s=4)
    log.at(69, call, "queue.transferred", queue="q-general", member="agent-a", wait_s=4, talk_s=60, reason="transfer")
    log.at(70, call, "queue.joined", queue="q-complaints", line="96960", position=1)
    log.at(85, call, "queue.answered", queue="q-complaints", member="agent-b", extension="1002", wait_s=15)
    log.at(185, call, "queue.completed", queue="q-complaints", member="agent-b", wait_s=15, talk_s=100)
    log.at(186, call, "call.ended", outcome="transferred")
    CallLog(book.sessions).record(log.events)
    queues = {row["key"]: row for row in metrics.table(base.date(), base.date(), "queue")["rows"]}
    assert queues["q-general"]["offered"] == 1 and queues["q-general"]["transfers"] == 1
    assert queues["q-general"]["avg_talk"] == 60.0
    assert queues["q-complaints"]["answered"] == 1 and queues["q-complaints"]["asa"] == 15.0
    lines = {row["key"]: row for row in metrics.table(base.date(), base.date(), "line")["rows"]}
    assert lines["96960"]["calls"] == 1  # one call ...
    assert lines["96960"]["offered"] == 2  # ... offered to two queues


def test_a_caller_leaving_the_queue_for_a_message_is_neither_answered_nor_abandoned(
    book: CaseBook, metrics: CallMetrics
) -> None:
    base = _day(book)
    call = f"msg-{base:%Y%m%d}"
    log = Log(base)
    log.at(0, call, "call.started", line="12345")
    log.at(5, call, "queue.joined", queue="q-general", line="12345", position=1)
    log.at(35, call, "queue.left", queue="q-general", position=1)
    log.at(36, call, "ivr.queue-message", reason="message-instead")
    log.at(90, call, "call.ended", outcome="reported")
    CallLog(book.sessions).record(log.events)
    total = metrics.table(base.date(), base.date(), "line")["total"]
    assert total["offered"] == 1 and total["left_for_message"] == 1
    assert total["answered"] == 0 and total["abandoned"] == 0
    assert total["calls"] == 1 and total["messages"] == 1


def test_a_caller_asking_for_an_agent_when_nobody_is_free_counts_as_nobody_free_not_offered(
    book: CaseBook, metrics: CallMetrics
) -> None:
    base = _day(book)
    call = f"nobody-{base:%Y%m%d}"
    log = Log(base)
    log.at(0, call, "call.started", line="12345")
    log.at(4, call, "ivr.key", key="3")
    log.at(5, call, "ivr.no-agent", queue="intake")
    log.at(60, call, "call.ended", outcome="reported")
    CallLog(book.sessions).record(log.events)
    total = metrics.table(base.date(), base.date(), "line")["total"]
    assert (total["calls"], total["no_agent"], total["messages"], total["offered"]) == (1, 1, 1, 0)


def test_callbacks_are_not_counted_as_calls(book: CaseBook, metrics: CallMetrics) -> None:
    base = _day(book)
    log = Log(base)
    log.at(0, f"callback-7-1-{base:%d}", "call.started", line="12345")
    log.at(30, f"callback-7-1-{base:%d}", "call.ended", outcome="transferred")
    log.at(40, f"in-{base:%Y%m%d}", "call.started", line="12345")
    log.at(80, f"in-{base:%Y%m%d}", "call.ended", outcome="caller-hung-up")
    CallLog(book.sessions).record(log.events)
    assert metrics.table(base.date(), base.date(), "total")["total"]["calls"] == 1


def test_a_wrapup_ending_in_a_later_batch_is_added_to_its_call(book: CaseBook, metrics: CallMetrics) -> None:
    base = _day(book)
    call = f"late-{base:%Y%m%d}"
    first = Log(base).answered_call(call, 0, wait=6, talk=50)
    CallLog(book.sessions).record(first.events)
    assert metrics.table(base.date(), base.date(), "total")["total"]["aht"] == 50.0
    later = Log(base).at(200, "agent:agent-a", "agent.ready", wrapup_s=30, how="ready", call=call)
    CallLog(book.sessions).record(later.events)
    assert metrics.table(base.date(), base.date(), "total")["total"]["aht"] == 80.0
    assert "call.wrapup" in [e.name for e in CallLog(book.sessions).of_call(call)]


def test_agent_occupancy_counts_talk_and_wrapup_over_available_time(book: CaseBook, metrics: CallMetrics) -> None:
    base = _day(book)
    log = Log(base)
    agent = "agent-occ"
    log.at(0, f"agent:{agent}", "agent.login", extension="1009")
    # logged in 0..1000; a call answered at 90 for 200 s, then wrap-up 300..400
    log.answered_call(f"occ-{base:%Y%m%d}", 90 - 10 - 10, wait=10, talk=200, agent=agent)
    log.at(300, f"agent:{agent}", "agent.wrapup", call=f"occ-{base:%Y%m%d}")
    log.at(350, f"agent:{agent}", "agent.paused", reason="break")  # paused mid-wrap-up
    log.at(400, f"agent:{agent}", "agent.ready", wrapup_s=100, how="saved", call=f"occ-{base:%Y%m%d}")
    log.at(600, f"agent:{agent}", "agent.resumed")
    log.at(1000, f"agent:{agent}", "agent.logout")
    CallLog(book.sessions).record(log.events)
    rows = {
        r["key"]: r for r in metrics.table(base.date(), base.date(), "agent", now=base + timedelta(hours=5))["rows"]
    }
    row = rows[agent]
    assert row["answered"] == 1
    assert row["logged_in_s"] == 1000
    assert row["handling_s"] == 300  # talk 100..300 + wrap-up 300..400
    assert row["paused_s"] == 200  # 400..600: the pause counts only once the wrap-up ended
    assert row["occupancy"] == 37.5  # 300 / (1000 - 200)
    assert row["aht"] == 300.0
    # read again once the day is over: from the agent's summed-up hours, the same figures
    later = metrics.table(base.date(), base.date(), "agent", now=base + timedelta(days=2))
    assert {k: later["rows"][0][k] for k in row if k != "key"} == {k: v for k, v in row.items() if k != "key"}
    hours = metrics.table(base.date(), base.date(), "hour", now=base + timedelta(days=2))
    assert {r["key"]: r["occupancy"] for r in hours["rows"]}[9] == 37.5


def test_an_agent_logged_in_over_midnight_counts_in_each_day_once_it_is_over(
    book: CaseBook, metrics: CallMetrics
) -> None:
    evening = _day(book).replace(hour=23)  # 23:00 of the test's day, the center's clock
    log = Log(evening)
    agent = "agent-night"
    log.at(0, f"agent:{agent}", "agent.login", extension="1010")
    log.at(7200, f"agent:{agent}", "agent.logout")  # 01:00 the next day
    CallLog(book.sessions).record(log.events)
    after = evening + timedelta(days=3)
    first = metrics.table(evening.date(), evening.date(), "agent", now=after)["rows"]
    second = metrics.table(evening.date() + timedelta(days=1), evening.date() + timedelta(days=1), "agent", now=after)
    both = metrics.table(evening.date(), evening.date() + timedelta(days=1), "agent", now=after)["total"]
    assert [r["logged_in_s"] for r in first if r["key"] == agent] == [3600]
    assert [r["logged_in_s"] for r in second["rows"] if r["key"] == agent] == [3600]
    assert both["logged_in_s"] >= 7200


def test_an_agent_still_logged_in_is_counted_up_to_now() -> None:
    base = datetime(2030, 5, 6, 9, 0, tzinfo=TZ)
    events = [LoggedEvent("agent:x", base, "agent.login")]
    time = agent_time(
        events, [], base - timedelta(hours=1), base + timedelta(hours=10), now=base + timedelta(seconds=90), tz=TZ
    )
    assert time.logged_in_s == 90 and time.occupancy == 0.0
    assert time.by_hour[9] == [90.0, 0.0, 0.0]


def test_a_login_before_the_range_counts_from_the_range_start_and_hours_split_at_the_clock() -> None:
    base = datetime(2030, 5, 6, 9, 30, tzinfo=TZ)
    events = [
        LoggedEvent("agent:x", base, "agent.login"),
        LoggedEvent("agent:x", base + timedelta(hours=1), "agent.logout"),
    ]
    start = base + timedelta(minutes=10)
    time = agent_time(
        events,
        [(base + timedelta(minutes=20), base + timedelta(minutes=40))],
        start,
        start + timedelta(days=1),
        now=start + timedelta(days=2),
        tz=TZ,
    )
    assert time.logged_in_s == 50 * 60
    assert time.handling_s == 20 * 60
    assert time.by_hour[9] == [20 * 60.0, 0.0, 10 * 60.0]  # 9:40-10:00, call 9:50-10:00
    assert time.by_hour[10] == [30 * 60.0, 0.0, 10 * 60.0]


def test_by_hour_and_by_day_use_the_center_clock(book: CaseBook, metrics: CallMetrics) -> None:
    base = _day(book)  # 09:00 Beijing time
    log = Log(base).answered_call(f"h1-{base:%Y%m%d}", 0, wait=5, talk=30)
    log.answered_call(f"h2-{base:%Y%m%d}", 3600, wait=5, talk=30)
    CallLog(book.sessions).record(log.events)
    hours = {r["key"]: r for r in metrics.table(base.date(), base.date(), "hour")["rows"]}
    assert hours[9]["offered"] == 1 and hours[10]["offered"] == 1
    days = metrics.table(base.date(), base.date(), "day")["rows"]
    assert [(d["key"], d["calls"]) for d in days] == [(base.date().isoformat(), 2)]


def test_summarise_survives_events_with_missing_or_wrong_data() -> None:
    at = datetime(2030, 1, 1, tzinfo=TZ)
    events = [
        LoggedEvent("c", at, "queue.joined", {"queue": "q", "position": "x"}),
        LoggedEvent("c", at + timedelta(seconds=7), "queue.answered", {"wait_s": None}),
        LoggedEvent("c", at + timedelta(seconds=9), "queue.completed", {"talk_s": "n/a"}),
        LoggedEvent("c", at + timedelta(seconds=10), "call.wrapup", {"wrapup_s": "bad"}),
    ]
    visit = summarise("c", events).visits[0]
    assert visit.position is None and visit.wait_s == 7.0 and visit.talk_s == 2.0 and visit.wrapup_s is None


def test_the_facts_can_be_rebuilt_from_the_log(book: CaseBook, metrics: CallMetrics) -> None:
    base = _day(book)
    log = Log(base).answered_call(f"rb-{base:%Y%m%d}", 0, wait=5, talk=30, wrapup=10)
    CallLog(book.sessions).record(log.events)
    before = metrics.table(base.date(), base.date(), "total")["total"]
    with book.sessions() as s:
        s.query(QueueVisit).filter(QueueVisit.call_id == f"rb-{base:%Y%m%d}").delete()
        s.commit()
        assert rebuild(s, TZ) >= 1
    assert metrics.table(base.date(), base.date(), "total")["total"] == before


def test_every_figure_and_formula_is_written_in_the_docs() -> None:
    from pathlib import Path

    from casebook.metrics.formulas import FIGURES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    for key, figure in FIGURES.items():
        assert f"`{key}`" in docs and figure.formula_zh in docs and figure.formula_en in docs, key
