"""The native API for agents, units, supervisors and leaders: `/api/v1/cases`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse

from casebook.api.deps import ActorDep, ReaderDep, ServicesDep, TokenDep
from casebook.cases.attachments import MAX_BYTES, attachment_file
from casebook.cases.errors import InvalidInput
from casebook.cases.intake import NewAppeal
from casebook.cases.lifecycle import Status
from casebook.cases.queries import CaseFilter, detail, list_cases, recording_path
from casebook.cases.records import attachment_out
from casebook.cases.schemas import (
    AcceptIn,
    AttachmentOut,
    CalledBackIn,
    CaseCreate,
    CaseDetail,
    CasePage,
    CloseIn,
    ComparisonOut,
    DispatchIn,
    ExtensionDecisionIn,
    ExtensionIn,
    InterviewIn,
    InterviewOutcomeIn,
    JointSessionIn,
    LeaderDecisionIn,
    LinkIn,
    LinkOut,
    MergeIn,
    Moment,
    RegisterIn,
    ReplyIn,
    ReturnIn,
    SatisfactionIn,
)

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
Number = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="The case number (digits).")]
CASE_PATH = "/{number}"


def _detail(svc: ServicesDep, actor: ActorDep, number: Number) -> CaseDetail:
    with svc.book.sessions() as s:
        return detail(s, number, actor, svc.book.clock.now())


LIST_FILTERS = (
    "status",
    "unit",
    "lead",
    "category",
    "channel",
    "caller_number",
    "overdue",
    "needs_intake",
    "call_back",
    "received_from",
    "received_to",
    "text",
    "township",
    "place",
    "line",
    "order",
    "limit",
    "cursor",
)


@router.get("", response_model=CasePage)
def get_cases(
    request: Request,
    svc: ServicesDep,
    actor: ActorDep,
    status: Annotated[list[Status] | None, Query(max_length=12)] = None,
    unit: Annotated[
        str | None, Query(max_length=32, description="A unit's cases (any share of them); `none`: no lead unit.")
    ] = None,
    lead: Annotated[
        str | None, Query(max_length=32, description="The cases a unit leads (as the figures count them); `none`.")
    ] = None,
    category: Annotated[
        str | None, Query(max_length=64, description="A category and those under it; `none`: not screened.")
    ] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    caller_number: Annotated[str | None, Query(max_length=32)] = None,
    overdue: bool | None = None,
    needs_intake: bool | None = None,
    call_back: bool | None = None,
    received_from: Moment | None = None,
    received_to: Moment | None = None,
    text: Annotated[str | None, Query(max_length=100, description="A case number (or its start), or words.")] = None,
    township: Annotated[str | None, Query(max_length=32, description="`none`: the cases with no township.")] = None,
    place: Annotated[str | None, Query(max_length=64)] = None,
    line: Annotated[str | None, Query(max_length=20, description="The hotline number dialled.")] = None,
    order: Annotated[
        Literal["received", "due"], Query(description="received: newest first; due: the nearest running clock first")
    ] = "received",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    """Cases, newest first, filtered; `next_cursor` fetches the next page. A filter this list does
    not know is refused, not ignored: `?caller=...` must not answer with every case."""
    unknown = sorted(set(request.query_params) - set(LIST_FILTERS))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise InvalidInput(f"unknown filter {names}; the filters are: {', '.join(LIST_FILTERS)}")
    query = CaseFilter(
        status=tuple(s.value for s in status or ()),
        unit=unit,
        lead=lead,
        category=category,
        channel=channel,
        caller_number=caller_number,
        overdue=overdue,
        needs_intake=needs_intake,
        received_from=received_from,
        received_to=received_to,
        limit=limit,
        cursor=cursor,
        call_back=call_back,
        text=text,
        township=township,
        place=place,
        line=line,
        order=order,
    )
    with svc.book.sessions() as s:
        return list_cases(s, actor, query, svc.book.clock.now())


@router.post("", response_model=CaseDetail, status_code=201)
def create_case(svc: ServicesDep, actor: ActorDep, body: CaseCreate, request: Request) -> CaseDetail:
    """An intake agent registers an appeal (a call taken by hand, a walk-in, a letter)."""
    appeal = NewAppeal(
        channel=body.channel,
        description=body.description,
        caller_phone=body.caller_number,
        caller_name=body.caller_name,
        line_number=body.line,
        address=body.address,
        origin="agent",
        by_hand=not body.screen,
    )
    case = svc.book.open_and_screen(appeal, actor)[0] if body.screen else svc.book.open(appeal, actor)
    request.state.audit = {"target": f"case:{case.number}"}
    return _detail(svc, actor, case.number)


@router.get(CASE_PATH, response_model=CaseDetail)
def get_case(svc: ServicesDep, actor: ActorDep, number: Number) -> CaseDetail:
    """One case with its events, replies, assignments, duplicates and the caller's other cases."""
    return _detail(svc, actor, number)


@router.get(
    CASE_PATH + "/recordings/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "The caller's recorded message."}},
)
def get_recording(
    svc: ServicesDep,
    actor: ReaderDep,
    number: Number,
    name: Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,128}$")],
) -> FileResponse:
    """A recorded message of the case, for whoever may read the case (an intake agent listens when
    there is no transcript). Ranges are served, so a player seeks without fetching it all; a
    page's <audio> fetches it with a ticket (`POST /api/v1/cases/links`)."""
    with svc.book.sessions() as s:
        path = recording_path(s, number, name, actor)
    return FileResponse(path, media_type="audio/wav", filename=f"{number}-{name}.wav")


FILE_PATH = re.compile(
    r"^/api/v1/cases/([0-9]{1,20})/(?:recordings/([A-Za-z0-9._-]{1,128})|attachments/([0-9]{1,12}))$"
)
CONVERSATION_PATH = re.compile(r"^/api/v1/conversations/([0-9]{1,10})/audio/(mixed|caller|agent)$")


@router.post("/links", response_model=LinkOut, status_code=201)
def make_link(svc: ServicesDep, actor: ActorDep, body: LinkIn, token: TokenDep) -> LinkOut:
    """A link with a ticket to one recording or attachment the reader may see, for a browser to
    fetch by itself: an <audio> element that streams and seeks, an image, a download."""
    conversation = CONVERSATION_PATH.match(body.path)
    if conversation is not None:
        svc.book.conversations.audio_path(int(conversation.group(1)), conversation.group(2), actor)
        ticket, expires = svc.auth.issue_ticket(token, body.path)
        return LinkOut(url=f"{body.path}?ticket={ticket}", expires_at=expires)
    found = FILE_PATH.match(body.path)
    if found is None:
        raise InvalidInput("links are made for a case's recordings, attachments and conversations only")
    number, recording, attachment = found.groups()
    with svc.book.sessions() as s:
        if recording is not None:
            recording_path(s, number, recording, actor)
        else:
            attachment_file(s, number, int(attachment), actor)
    ticket, expires = svc.auth.issue_ticket(token, body.path)
    return LinkOut(url=f"{body.path}?ticket={ticket}", expires_at=expires)


@router.post(CASE_PATH + "/attachments", response_model=AttachmentOut, status_code=201)
def add_attachment(svc: ServicesDep, actor: ActorDep, number: Number, file: UploadFile) -> AttachmentOut:
    """Attach a photo or document (multipart field `file`): its content decides its type; at most
    10 MB; refused with the reason (413 too large, 415 not a kind the center keeps)."""
    data = file.file.read(MAX_BYTES + 1)
    return attachment_out(svc.book.attach(number, actor, name=file.filename or "", data=data))


@router.get(
    CASE_PATH + "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file, as a download."}},
)
def get_attachment(
    svc: ServicesDep, actor: ReaderDep, number: Number, attachment_id: Annotated[int, Path(ge=1, le=10**12)]
) -> FileResponse:
    """The file, always as a download with the type its content showed and `nosniff`: a browser
    never runs it as a page."""
    with svc.book.sessions() as s:
        row = attachment_file(s, number, attachment_id, actor)
    return FileResponse(
        row.path,
        media_type=row.media_type,
        filename=row.name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"},
    )


@router.post(CASE_PATH + "/extension", response_model=CaseDetail)
def ask_extension(svc: ServicesDep, actor: ActorDep, number: Number, body: ExtensionIn) -> CaseDetail:
    """The lead unit asks for more time to reply (a supervisor answers)."""
    svc.book.ask_extension(number, actor, until=body.until, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/extension/decision", response_model=CaseDetail)
def decide_extension(svc: ServicesDep, actor: ActorDep, number: Number, body: ExtensionDecisionIn) -> CaseDetail:
    """A supervisor grants the waiting request (the reply clock moves) or refuses it, saying why."""
    svc.book.decide_extension(number, actor, granted=body.granted, until=body.until, answer=body.answer)
    return _detail(svc, actor, number)


@router.get(CASE_PATH + "/compare/{other}", response_model=ComparisonOut)
def compare(svc: ServicesDep, actor: ActorDep, number: Number, other: Number) -> ComparisonOut:
    """This case and another side by side, with their similarity and what it is made of: for the
    person deciding whether to merge one into the other."""
    return svc.book.compare(number, other, actor)


@router.post(CASE_PATH + "/register", response_model=CaseDetail)
def register(svc: ServicesDep, actor: ActorDep, number: Number, body: RegisterIn) -> CaseDetail:
    svc.book.register(
        number,
        actor,
        category=body.category,
        place=body.place,
        urgency=body.urgency,
        description=body.description,
        reason=body.reason,
    )
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/dispatch", response_model=CaseDetail)
def dispatch(svc: ServicesDep, actor: ActorDep, number: Number, body: DispatchIn) -> CaseDetail:
    svc.book.dispatch(
        number,
        actor,
        lead=body.lead_unit,
        co_units=body.co_units,
        deadline_hours=body.deadline_hours,
        reason=body.reason,
    )
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/return", response_model=CaseDetail)
def return_case(svc: ServicesDep, actor: ActorDep, number: Number, body: ReturnIn) -> CaseDetail:
    svc.book.return_case(number, actor, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/accept", response_model=CaseDetail)
def accept(svc: ServicesDep, actor: ActorDep, number: Number, body: AcceptIn) -> CaseDetail:
    svc.book.accept(number, actor, section=body.section, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/reply", response_model=CaseDetail)
def reply(svc: ServicesDep, actor: ActorDep, number: Number, body: ReplyIn) -> CaseDetail:
    svc.book.reply(number, actor, text=body.text)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/satisfaction", response_model=CaseDetail)
def satisfaction(svc: ServicesDep, actor: ActorDep, number: Number, body: SatisfactionIn) -> CaseDetail:
    svc.book.record_satisfaction(
        number, actor, satisfied=body.verdict == "satisfied", source=body.source, comment=body.comment
    )
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/called-back", response_model=CaseDetail)
def called_back(svc: ServicesDep, actor: ActorDep, number: Number, body: CalledBackIn) -> CaseDetail:
    """A person called back the citizen of a case marked "call back" (`reached`: the mark is cleared)."""
    svc.book.called_back(number, actor, reached=body.reached, note=body.note)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/close", response_model=CaseDetail)
def close(svc: ServicesDep, actor: ActorDep, number: Number, body: CloseIn) -> CaseDetail:
    svc.book.close(number, actor, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/reopen", response_model=CaseDetail)
def reopen(svc: ServicesDep, actor: ActorDep, number: Number, body: CloseIn) -> CaseDetail:
    svc.book.reopen(number, actor, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/interview", response_model=CaseDetail)
def schedule_interview(svc: ServicesDep, actor: ActorDep, number: Number, body: InterviewIn) -> CaseDetail:
    svc.book.schedule_interview(number, actor, unit=body.unit, at=body.at, location=body.location)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/interview/outcome", response_model=CaseDetail)
def interview_outcome(svc: ServicesDep, actor: ActorDep, number: Number, body: InterviewOutcomeIn) -> CaseDetail:
    svc.book.record_interview(number, actor, satisfied=body.satisfied, notes=body.notes)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/joint-sessions", response_model=CaseDetail)
def joint_session(svc: ServicesDep, actor: ActorDep, number: Number, body: JointSessionIn) -> CaseDetail:
    svc.book.joint_session(
        number, actor, participants=body.participants, lead=body.lead_unit, decision=body.decision, reply=body.reply
    )
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/leader-decision", response_model=CaseDetail)
def leader_decision(svc: ServicesDep, actor: ActorDep, number: Number, body: LeaderDecisionIn) -> CaseDetail:
    svc.book.leader_decision(number, actor, decision=body.decision, deadline=body.deadline, units=body.units)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/merge", response_model=CaseDetail)
def merge(svc: ServicesDep, actor: ActorDep, number: Number, body: MergeIn) -> CaseDetail:
    svc.book.merge(number, body.master, actor, reason=body.reason)
    return _detail(svc, actor, number)


@router.post(CASE_PATH + "/unmerge", response_model=CaseDetail)
def unmerge(svc: ServicesDep, actor: ActorDep, number: Number, body: CloseIn) -> CaseDetail:
    svc.book.unmerge(number, actor, reason=body.reason)
    return _detail(svc, actor, number)
