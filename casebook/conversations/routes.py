"""The recorded conversations over the API: a case's, an agent's own, one side's audio, and a
supervisor's hold on a case's recordings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse

from casebook.api.deps import ActorDep, ReaderDep, ServicesDep
from casebook.conversations.schemas import ConversationOut, HoldIn, HoldOut

router = APIRouter(prefix="/api/v1", tags=["conversations"])
Number = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="The case number (digits).")]


@router.get("/cases/{number}/conversations", response_model=list[ConversationOut])
def case_conversations(svc: ServicesDep, actor: ActorDep, number: Number) -> list[ConversationOut]:
    """The conversations of the call that opened the case (caller and agent), oldest first."""
    return [ConversationOut.of(view) for view in svc.book.conversations.of_case(number, actor)]


@router.get("/me/conversations", response_model=list[ConversationOut])
def my_conversations(svc: ServicesDep, actor: ActorDep) -> list[ConversationOut]:
    """The signed-in agent's own recorded conversations, newest first (the last 50)."""
    return [ConversationOut.of(view) for view in svc.book.conversations.of_agent(actor.name)]


@router.get(
    "/conversations/{conversation_id}/audio/{side}",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "One side of the conversation, or both mixed."}},
)
def conversation_audio(
    svc: ServicesDep,
    actor: ReaderDep,
    conversation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    side: Literal["mixed", "caller", "agent"],
) -> FileResponse:
    """A conversation's audio for whoever may read its case, or the agent who took the call; a
    page's <audio> fetches it with a ticket (`POST /api/v1/cases/links`)."""
    path = svc.book.conversations.audio_path(conversation_id, side, actor)
    return FileResponse(path, media_type="audio/wav", filename=f"conversation-{conversation_id}-{side}.wav")


@router.put("/cases/{number}/recording-hold", response_model=HoldOut)
def hold_recordings(svc: ServicesDep, actor: ActorDep, number: Number, body: HoldIn, request: Request) -> HoldOut:
    """A supervisor holds the case's recordings (never purged while held) or releases them."""
    reason = svc.book.conversations.hold(number, actor, body.reason)
    request.state.audit = {"target": f"case:{number}"}
    return HoldOut(number=number, held=reason is not None, reason=reason)
