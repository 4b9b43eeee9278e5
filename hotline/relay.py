"""Case notices across processes, through Redis.

A case changes in whichever process acts on it: an API worker (a clerk's action), the Celery worker
(screening dispatches a case by the rules), `hotline serve` (a call's message). The pages follow
the case feed of the API process they talk to (hotline/features/casework/live.py), which hears its
own process's bus. With the relay on, every process also publishes its casebook's notices to one
Redis channel, and every API process passes on the others' notices to its bus: a case dispatched
by the worker appears on the unit's open page, whichever API worker serves it.

Each message carries its process's `origin`, so a process never hears its own notices twice. The
relay is best effort by design: a page that missed a notice (Redis restarting) still reads the
truth from the database on its next turn (the list asks every 30 s); the notifications (the bell)
are rows in the database and do not travel here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import redis
import redis.asyncio as aioredis

from casebook.cases.notices import CaseNotice
from common.bus import EventBus, PlatformEvent

log = logging.getLogger(__name__)
CHANNEL = "hotline:case-notices"


def case_event(kind: str, number: str, status: str, data: dict[str, Any]) -> PlatformEvent:
    """A case notice as the platform's bus carries it (the case feed reads these)."""
    return PlatformEvent(kind, "-", {"case": number, "status": status, **data})


class CaseNoticeRelay:
    def __init__(self, redis_url: str, channel: str = CHANNEL) -> None:
        self.redis_url = redis_url
        self.channel = channel  # Redis channels are server-wide: one per installation (and per test)
        self.origin = uuid.uuid4().hex
        self._client: redis.Redis | None = None
        self.passed_on = 0  # notices of other processes put on this process's bus (tests wait on it)

    def publish(self, notice: CaseNotice) -> None:
        """A listener of the case book: the notice, to the other processes (never raises: the
        action is committed already, and a page reads the truth on its next turn anyway)."""
        message = {"origin": self.origin, "kind": notice.kind, "number": notice.number, "status": notice.status}
        try:
            if self._client is None:
                self._client = redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
            self._client.publish(self.channel, json.dumps({**message, "data": notice.data}, default=str))
        except (redis.RedisError, OSError) as exc:
            log.warning("relay: %s of case %s not sent to the other processes: %s", notice.kind, notice.number, exc)

    async def run(self, bus: EventBus) -> None:
        """Pass the other processes' notices on to this process's bus, reconnecting after a
        Redis restart (1 s, then up to 30 s between tries)."""
        wait = 1.0
        while True:
            client = aioredis.Redis.from_url(self.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    wait = 1.0
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._pass_on(bus, message["data"])
            except (aioredis.RedisError, OSError) as exc:
                log.warning("relay: Redis unreachable (%s); trying again in %.0f s", exc, wait)
            finally:
                await client.aclose()
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)

    def _pass_on(self, bus: EventBus, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            if message["origin"] == self.origin:
                return
            bus.publish(case_event(message["kind"], message["number"], message["status"], message.get("data") or {}))
            self.passed_on += 1
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("relay: a message that is not a case notice was left: %s", exc)
