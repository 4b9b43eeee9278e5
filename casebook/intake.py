"""Intake: appeals arriving by phone become cases.

This is the first, simple form of the casebook's intake (the casebook issue grows it: type
screening, routing, clocks). It already keeps the promises the telephony layer relies on:
- idempotent by call id: a retried or duplicated report never makes a second case;
- a case number is digits only (`YYMMDD` + a daily sequence), so a caller can key it;
- a recording is stored as a file with its checksum before Asterisk's copy is deleted;
- every change appends to the case's event log.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casebook.db.models import Case, CaseEvent, CaseNumberCounter, Recording

log = logging.getLogger(__name__)


class IntakeError(ValueError):
    """A report the casebook cannot accept (bad data); it is logged, never silently dropped."""


@dataclass(frozen=True, slots=True)
class PhoneReport:
    call_id: str
    line_number: str
    caller_number: str
    received_at: datetime
    origin: str
    language: str
    ivr_path: tuple[str, ...]
    recording_name: str = ""
    recording_duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class CaseStatus:
    number: str
    status: str


class IntakeService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        recordings_dir: Path,
        *,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.sessions = sessions
        self.recordings_dir = recordings_dir
        self.tz = ZoneInfo(timezone)

    async def open_phone_case(self, report: PhoneReport) -> str:
        """Open the case of a phone report, or return the one already opened for this call."""
        if not report.call_id:
            raise IntakeError("a phone report needs its call id")
        for _attempt in range(3):
            async with self.sessions() as session:
                existing = await session.scalar(select(Case.number).where(Case.call_id == report.call_id))
                if existing is not None:
                    return existing
                now = datetime.now(UTC)
                number = await self._next_number(session, report.received_at)
                case = Case(
                    number=number,
                    call_id=report.call_id,
                    status="received",
                    channel="phone",
                    line_number=report.line_number,
                    caller_number=report.caller_number or None,
                    language=report.language,
                    origin=report.origin,
                    ivr_path=">".join(report.ivr_path),
                    description="",
                    received_at=report.received_at,
                    created_at=now,
                )
                session.add(case)
                try:
                    await session.flush()
                    session.add(
                        CaseEvent(
                            case_id=case.id,
                            at=now,
                            actor="ivr" if report.origin == "ivr" else "fallback",
                            kind="received",
                            detail={
                                "line": report.line_number,
                                "origin": report.origin,
                                "recording": report.recording_name,
                                "duration_s": report.recording_duration_s,
                            },
                        )
                    )
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue  # another worker opened it (same call id) or took the number: look again
                log.info("case %s opened from call (line %s, %s)", number, report.line_number, report.origin)
                return number
        raise IntakeError(f"could not open a case for call {report.call_id} after 3 attempts")

    async def _next_number(self, session: AsyncSession, at: datetime) -> str:
        day = at.astimezone(self.tz).strftime("%y%m%d")
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(CaseNumberCounter)
            .values(day=day, last=1)
            .on_conflict_do_update(index_elements=["day"], set_={"last": CaseNumberCounter.last + 1})
            .returning(CaseNumberCounter.last)
        )
        sequence = (await session.execute(statement)).scalar_one()
        return f"{day}{sequence:04d}"

    async def attach_recording(
        self, call_id: str, name: str, audio: bytes, media_type: str, duration_s: float | None = None
    ) -> None:
        """Store the audio of a call's case (idempotent: the same recording is stored once)."""
        async with self.sessions() as session:
            case = await session.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:
                raise IntakeError(f"no case for call {call_id}")
            already = await session.scalar(
                select(Recording.id).where(Recording.case_id == case.id, Recording.name == name)
            )
            if already is not None:
                return
            now = datetime.now(UTC)
            digest = hashlib.sha256(audio).hexdigest()
            folder = self.recordings_dir / now.strftime("%Y/%m")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{case.number}-{name}.wav"
            tmp = path.with_suffix(".part")
            tmp.write_bytes(audio)
            tmp.replace(path)
            session.add(
                Recording(
                    case_id=case.id,
                    name=name,
                    media_type=media_type,
                    path=str(path),
                    size_bytes=len(audio),
                    duration_s=duration_s,
                    sha256=digest,
                    created_at=now,
                )
            )
            session.add(
                CaseEvent(
                    case_id=case.id,
                    at=now,
                    actor="system",
                    kind="recording_stored",
                    detail={"name": name, "bytes": len(audio), "duration_s": duration_s},
                )
            )
            await session.commit()

    async def case_status(self, number: str) -> CaseStatus | None:
        if not number.isdigit() or len(number) > 20:
            return None
        async with self.sessions() as session:
            status = await session.scalar(select(Case.status).where(Case.number == number))
        return CaseStatus(number, status) if status is not None else None
