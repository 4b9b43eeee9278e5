"""The records a case keeps beside its lifecycle, as the API shows them: its files, the requests
for more time, the citizen's verdicts, the interviews and the joint sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.cases.schemas import AttachmentOut, ExtensionOut, InterviewOut, JointSessionOut, VerdictOut
from casebook.db.models import Attachment, Case, DeadlineExtension, Interview, JointSession, SatisfactionVerdict


def attachment_out(f: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=f.id,
        name=f.name,
        media_type=f.media_type,
        size_bytes=f.size_bytes,
        sha256=f.sha256,
        author=f.author,
        unit=f.unit_code,
        at=f.at,
    )


def extension_out(x: DeadlineExtension) -> ExtensionOut:
    return ExtensionOut(
        unit=x.unit_code,
        asked_by=x.asked_by,
        asked_at=x.asked_at,
        reason=x.reason,
        reply_due_before=x.reply_due_before,
        reply_due_asked=x.reply_due_asked,
        decided_by=x.decided_by,
        decided_at=x.decided_at,
        granted=x.granted,
        reply_due_granted=x.reply_due_granted,
        answer=x.answer,
    )


def after_the_reply(s: Session, case: Case) -> dict[str, Any]:
    """The citizen's verdicts, the interviews and the joint sessions of the case, oldest first."""
    by_case = {"case_id": case.id}
    return {
        "verdicts": [
            VerdictOut(verdict=v.verdict, stage=v.stage, source=v.source, comment=v.comment, at=v.at)
            for v in s.scalars(select(SatisfactionVerdict).filter_by(**by_case).order_by(SatisfactionVerdict.id))
        ],
        "interviews": [
            InterviewOut(
                unit=i.unit_code,
                scheduled_at=i.scheduled_at,
                location=i.location,
                held_at=i.held_at,
                satisfied=i.satisfied,
                notes=i.notes,
            )
            for i in s.scalars(select(Interview).filter_by(**by_case).order_by(Interview.id))
        ],
        "joint_sessions": [
            JointSessionOut(
                convened_by=j.convened_by,
                held_at=j.held_at,
                participants=[str(u) for u in j.participants],
                lead_unit=j.lead_unit_code,
                decision=j.decision,
            )
            for j in s.scalars(select(JointSession).filter_by(**by_case).order_by(JointSession.id))
        ],
    }
