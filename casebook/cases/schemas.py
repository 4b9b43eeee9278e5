"""API schemas of cases (pydantic), separate from the database models.

`CasePublic` is the case as every client sees it; `CaseDetail` adds its history. Inputs are one
model per lifecycle action, each with the fields that action needs, validated before any change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Text4000 = Annotated[str, StringConstraints(max_length=4000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9.@-]+$")]
Reason = Annotated[str, StringConstraints(max_length=1000)]
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a date a case can have: received, due, scheduled


def sane_moment(moment: datetime) -> datetime:
    """A date-time in the years a case can have. `9999-12-31T23:59:59-14:00` parses, then
    overflows when PostgreSQL's driver moves it to UTC (a 500 before, security trial of issue 16)."""
    try:
        year = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).year
    except OverflowError:
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"a date between the years {FIRST_YEAR} and {LAST_YEAR} is expected")
    return moment


Moment = Annotated[datetime, AfterValidator(sane_moment)]


class CasePublic(BaseModel):
    number: str
    status: str
    channel: str
    line: str | None
    caller_number: str | None
    description: str
    transcript: str | None
    transcript_state: str | None = Field(
        description="Calls only: waiting, pending, done, or failed (no transcript: a person listens)."
    )
    transcript_note: str | None
    category: str | None
    place: str | None
    township: str | None
    urgency: str
    needs_intake: bool
    call_back: str | None = Field(
        description="Calls only: why a person must call the citizen back (their words are missing or cut short); "
        "null when there is no need (or it was done)."
    )
    lead_unit: str | None
    lead_section: str | None
    co_units: list[str]
    duplicate_of: str | None
    satisfaction: str | None
    received_at: datetime
    register_due: datetime
    registered_at: datetime | None
    dispatch_due: datetime | None
    dispatched_at: datetime | None
    accept_due: datetime | None
    accepted_at: datetime | None
    reply_due: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    leader_due: datetime | None
    overdue: list[str] = Field(description="Clocks that have run out and are still running.")


class EventOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    reason: str
    detail: dict[str, Any]


class ReplyOut(BaseModel):
    at: datetime
    unit: str | None
    author: str
    text: str
    joint: bool
    via_master: str | None


class AssignmentOut(BaseModel):
    unit: str
    role: str
    round: int
    active: bool
    section: str | None
    dispatched_at: datetime
    accepted_at: datetime | None


class DuplicateOut(BaseModel):
    number: str
    state: str
    score: float
    automatic: bool


class TranscriptOut(BaseModel):
    source: str = Field(description="file (the stored recording), live (during the call), menu (said at the menu)")
    text: str
    language: str
    model: str
    confidence: float | None
    duration_s: float | None
    words: list[dict[str, Any]] = Field(description="{word, start, end, conf}, times in seconds")
    created_at: datetime


class AttachmentOut(BaseModel):
    id: int
    name: str
    media_type: str = Field(description="As the file's content showed it to be, not as it was declared.")
    size_bytes: int
    sha256: str
    author: str
    unit: str | None
    at: datetime


class ExtensionOut(BaseModel):
    unit: str | None
    asked_by: str
    asked_at: datetime
    reason: str
    reply_due_before: datetime | None
    reply_due_asked: datetime
    decided_by: str | None
    decided_at: datetime | None
    granted: bool | None = Field(description="null while it waits for a supervisor")
    reply_due_granted: datetime | None
    answer: str


class VerdictOut(BaseModel):
    verdict: str
    stage: str = Field(description="reply, interview or leader: what the citizen judged")
    source: str
    comment: str
    at: datetime


class InterviewOut(BaseModel):
    unit: str
    scheduled_at: datetime
    location: str
    held_at: datetime | None
    satisfied: bool | None
    notes: str


class JointSessionOut(BaseModel):
    convened_by: str
    held_at: datetime
    participants: list[str]
    lead_unit: str
    decision: str


class CaseDetail(CasePublic):
    classification: dict[str, Any] | None
    events: list[EventOut]
    replies: list[ReplyOut]
    assignments: list[AssignmentOut]
    duplicates: list[DuplicateOut] = Field(description="Cases linked to this one as their master.")
    suggestions: list[DuplicateOut] = Field(description="Possible masters of this case, for the intake agent.")
    caller_cases: list[str] = Field(description="The caller's other cases, newest first.")
    recordings: list[str]
    recording_hold: str | None = Field(
        default=None, description="Why a supervisor holds the case's conversation recordings (never purged while held)."
    )
    transcripts: list[TranscriptOut]
    attachments: list[AttachmentOut] = Field(default_factory=list)
    extensions: list[ExtensionOut] = Field(default_factory=list, description="Requests for more time, oldest first.")
    verdicts: list[VerdictOut] = Field(default_factory=list, description="The citizen's verdicts, oldest first.")
    interviews: list[InterviewOut] = Field(default_factory=list)
    joint_sessions: list[JointSessionOut] = Field(default_factory=list)
    actions: list[str] = Field(
        default_factory=list,
        description="What the reader may do to the case now (its role, its unit and the case's state allow it): "
        "the paths under /api/v1/cases/{number}/ (register, dispatch, accept, reply, ...).",
    )


class ComparisonOut(BaseModel):
    """Two cases side by side, and why the duplicate finder finds them alike (or not)."""

    case: CasePublic
    other: CasePublic
    score: float = Field(description="0.4 text + 0.3 place + 0.3 category (+ 0.1 the same caller), at most 1")
    text: float
    place: float = Field(description="1 the same place, 0.5 the same township")
    category: float = Field(description="1 the same category, 0.5 the same parent")
    same_caller: bool
    shared: list[str] = Field(description="Pieces of text (two characters) the two share, the commonest first.")


class CasePage(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None


# --- inputs, one per action ---------------------------------------------------------------------------
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseCreate(Strict):
    channel: Code
    description: Text4000 = Field(min_length=1)
    caller_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    caller_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    line: Annotated[str, StringConstraints(max_length=20)] | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    screen: bool = Field(default=True, description="Classify, link duplicates and route automatically.")


class RegisterIn(Strict):
    category: Code
    place: Code | None = None
    urgency: Literal["normal", "urgent", "critical"] | None = None
    description: Text4000 | None = None
    reason: Reason = ""


class DispatchIn(Strict):
    lead_unit: Code | None = Field(default=None, description="Omit to use the routing rules.")
    co_units: list[Code] = Field(default_factory=list, max_length=20)
    deadline_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    reason: Reason = ""


class ReturnIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AcceptIn(Strict):
    section: Code
    reason: Reason = ""


class ReplyIn(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class SatisfactionIn(Strict):
    verdict: Literal["satisfied", "unsatisfied"]
    source: Literal["callback", "agent", "web", "sms", "interview"] = "agent"
    comment: Reason = ""


class CalledBackIn(Strict):
    reached: bool = Field(description="The citizen was reached (the call-back mark is cleared).")
    note: Reason = ""


class CloseIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class InterviewIn(Strict):
    at: Moment
    unit: Code | None = None
    location: Annotated[str, StringConstraints(max_length=200)] = ""


class InterviewOutcomeIn(Strict):
    satisfied: bool
    notes: Reason = ""


class JointSessionIn(Strict):
    participants: list[Code] = Field(min_length=1, max_length=20)
    lead_unit: Code
    decision: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    reply: Text4000 | None = None


class LeaderDecisionIn(Strict):
    decision: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    deadline: Moment
    units: list[Code] = Field(default_factory=list, max_length=20)


class MergeIn(Strict):
    master: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,20}$")]
    reason: Reason = ""


class ExtensionIn(Strict):
    until: Moment = Field(description="The reply deadline the unit asks for (after the current one).")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ExtensionDecisionIn(Strict):
    granted: bool
    until: Moment | None = Field(default=None, description="Grant a date other than the one asked.")
    answer: Reason = ""


class LinkIn(Strict):
    path: Annotated[str, StringConstraints(max_length=300)] = Field(
        description="A recording or attachment of a case: /api/v1/cases/{number}/recordings/{name}, "
        "/api/v1/cases/{number}/attachments/{id} or /api/v1/conversations/{id}/audio/{mixed|caller|agent}."
    )


class LinkOut(BaseModel):
    url: str = Field(description="The path with a ticket that lets a browser fetch it (audio, image, download).")
    expires_at: datetime
