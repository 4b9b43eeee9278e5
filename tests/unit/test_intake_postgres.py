"""The intake on the real PostgreSQL: digit case numbers, idempotency, stored audio, append-only log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from casebook.db.engine import make_async_engine, make_sessionmaker
from casebook.db.models import Case, CaseEvent, Recording
from casebook.intake import IntakeError, IntakeService, PhoneReport


def _report(call_id: str, caller: str = "13800138000") -> PhoneReport:
    return PhoneReport(
        call_id=call_id,
        line_number="12345",
        caller_number=caller,
        received_at=datetime.now(UTC),
        origin="ivr",
        language="zh",
        ivr_path=("menu", "key:1"),
    )


@pytest.fixture
async def intake(migrated_pg: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_async_engine(migrated_pg)
    yield IntakeService(make_sessionmaker(engine), tmp_path / "recordings")
    await engine.dispose()


async def test_the_same_call_reported_twice_at_once_makes_one_case(intake: IntakeService) -> None:
    numbers = await asyncio.gather(*(intake.open_phone_case(_report("dup-call-1")) for _ in range(8)))
    assert len(set(numbers)) == 1
    async with intake.sessions() as session:
        assert await session.scalar(select(text("count(*)")).select_from(Case).where(Case.call_id == "dup-call-1")) == 1


async def test_case_numbers_are_digits_and_unique_under_concurrency(intake: IntakeService) -> None:
    numbers = await asyncio.gather(*(intake.open_phone_case(_report(f"many-{i}")) for i in range(30)))
    assert len(set(numbers)) == 30
    assert all(n.isdigit() and len(n) >= 10 for n in numbers)


async def test_status_of_a_case(intake: IntakeService) -> None:
    number = await intake.open_phone_case(_report("status-1"))
    status = await intake.case_status(number)
    assert status is not None and status.status == "received"
    assert await intake.case_status("000") is None
    assert await intake.case_status("12ab") is None
    assert await intake.case_status("9" * 40) is None


async def test_a_recording_is_stored_once_with_its_checksum(intake: IntakeService) -> None:
    await intake.open_phone_case(_report("rec-call"))
    for _ in range(2):
        await intake.attach_recording("rec-call", "rec-1", b"RIFFdata", "audio/wav", 3.5)
    async with intake.sessions() as session:
        rows = list(await session.scalars(select(Recording).join(Case).where(Case.call_id == "rec-call")))
    assert len(rows) == 1 and Path(rows[0].path).read_bytes() == b"RIFFdata" and len(rows[0].sha256) == 64


async def test_audio_for_an_unknown_call_is_refused_clearly(intake: IntakeService) -> None:
    with pytest.raises(IntakeError, match="no case"):
        await intake.attach_recording("never-seen", "rec-1", b"x", "audio/wav", None)
    with pytest.raises(IntakeError, match="call id"):
        await intake.open_phone_case(_report(""))


async def test_the_event_log_is_append_only_in_the_database(intake: IntakeService) -> None:
    await intake.open_phone_case(_report("append-only"))
    async with intake.sessions() as session:
        event = await session.scalar(select(CaseEvent).join(Case).where(Case.call_id == "append-only"))
        assert event is not None and event.kind == "received"
        event_id = event.id
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text("UPDATE case_events SET kind = 'x' WHERE id = :id"), {"id": event_id})
        await session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text("DELETE FROM case_events WHERE id = :id"), {"id": event_id})
