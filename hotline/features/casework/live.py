"""The case workspace's live feed: every case notice of this process's bus, to each open page
whose reader may see the case (everyone who reads all cases; a unit's handlers, for the cases
their unit has a share of). A page that falls behind loses its oldest notices, never the newest:
it asks the API again on each, so the last one is all it needs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, Role, can_read_all
from casebook.db.models import Assignment, Case
from common.bus import EventBus, PlatformEvent
from hotline.features.casework.messages import CaseChanged

log = logging.getLogger(__name__)


@dataclass
class Reader:
    actor: Actor
    outbox: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(50))


@dataclass
class CaseFeed:
    bus: EventBus
    sessions: sessionmaker[Session]
    _open: dict[int, Reader] = field(default_factory=dict)
    sent: int = 0  # notices handed to pages (tests wait on it)

    @contextlib.contextmanager
    def reader(self, actor: Actor) -> Iterator[asyncio.Queue[str]]:
        page = Reader(actor)
        self._open[id(page)] = page
        try:
            yield page.outbox
        finally:
            self._open.pop(id(page), None)

    async def run(self) -> None:
        with self.bus.subscribe() as subscription:
            while True:
                event = await subscription.get()
                if event.name.startswith("case.") and "case" in event.data and self._open:
                    try:
                        await self._tell(event)
                    except Exception:  # one bad notice must not end the feed of every page
                        log.exception("the case feed could not pass on %s", event.name)

    async def _tell(self, event: PlatformEvent) -> None:
        number = str(event.data["case"])
        message = CaseChanged(number=number, kind=event.name, status=str(event.data.get("status", "")))
        text = message.model_dump_json()
        units: set[str] | None = None
        for page in list(self._open.values()):
            if not can_read_all(page.actor):
                if page.actor.role != Role.UNIT_HANDLER or page.actor.unit is None:
                    continue
                if units is None:
                    units = await asyncio.to_thread(self._units_of, number)
                if page.actor.unit not in units:
                    continue
            if page.outbox.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    page.outbox.get_nowait()
            page.outbox.put_nowait(text)
            self.sent += 1

    def _units_of(self, number: str) -> set[str]:
        """The units with a share of the case (as the API's visibility: casebook/cases/queries.py)."""
        with self.sessions() as s:
            return set(
                s.scalars(
                    select(Assignment.unit_code).join(Case, Case.id == Assignment.case_id).where(Case.number == number)
                )
            )
