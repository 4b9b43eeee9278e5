"""The casebook's tables (SQLAlchemy 2 typed models), kept apart from the API schemas.

Every appeal from any channel is one `Case` with an owner (its lead unit), its clocks (the four
deadlines and the times each step was done) and an append-only event log. The directory (units,
sections, categories, places, routing rules) is data, seeded from `casebook/directory/data/` and
editable through the API.

The tables are in this package by subject (base, directory, people, cases, operations); every
name is imported from here (`from casebook.db.models import Case`), as it always was.
"""

from __future__ import annotations

from casebook.db.models.audit import AuditEntry
from casebook.db.models.base import Base, UtcDateTime
from casebook.db.models.cases import (
    Assignment,
    Attachment,
    Breach,
    Caller,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Conversation,
    DeadlineExtension,
    DuplicateLink,
    Interview,
    JointSession,
    LeaderDecision,
    Recording,
    Reply,
    SatisfactionVerdict,
    Transcript,
)
from casebook.db.models.directory import (
    Category,
    Channel,
    DeadlinePolicy,
    Place,
    RoutingModel,
    RoutingRule,
    Section,
    Unit,
)
from casebook.db.models.notifications import Notification, OutboxMessage
from casebook.db.models.operations import (
    AgentHour,
    Callback,
    CallEventRow,
    CallFacts,
    CenterSetting,
    QueueVisit,
    Report,
)
from casebook.db.models.people import AccessToken, Agent, ApiKey, SavedView, SignInFailure, User

__all__ = [
    "AccessToken",
    "Agent",
    "AgentHour",
    "ApiKey",
    "Assignment",
    "Attachment",
    "AuditEntry",
    "Base",
    "Breach",
    "CallEventRow",
    "CallFacts",
    "Callback",
    "Caller",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "Category",
    "CenterSetting",
    "Channel",
    "Conversation",
    "DeadlineExtension",
    "DeadlinePolicy",
    "DuplicateLink",
    "Interview",
    "JointSession",
    "LeaderDecision",
    "Notification",
    "OutboxMessage",
    "Place",
    "QueueVisit",
    "Recording",
    "Reply",
    "Report",
    "RoutingModel",
    "RoutingRule",
    "SatisfactionVerdict",
    "SavedView",
    "Section",
    "SignInFailure",
    "Transcript",
    "Unit",
    "User",
    "UtcDateTime",
]
