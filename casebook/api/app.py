"""The FastAPI application: `/status` now; the casebook issue adds `/api/v1/` and Open311.

Health of parts the casebook does not own (Asterisk, the Stasis application) is reported
through checks that the composition root passes in, so this package never imports telephony.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]


class ComponentHealth(BaseModel):
    ok: bool
    detail: dict[str, Any] = {}


class StatusOut(BaseModel):
    ok: bool
    components: dict[str, ComponentHealth]


def create_app(
    sessions: async_sessionmaker[AsyncSession],
    checks: Mapping[str, HealthCheck] | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Citizen hotline platform",
        version="0.1.0",
        description="Unified appeals center: cases from calls, mailboxes, web and social channels.",
    )
    extra_checks = dict(checks or {})

    async def database() -> dict[str, Any]:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        return {"ok": True}

    all_checks: dict[str, HealthCheck] = {"database": database, **extra_checks}

    @app.get("/status", response_model=StatusOut, tags=["operations"])
    async def status() -> StatusOut:
        """Each dependency's health: database, Asterisk (ARI), the Stasis application, AMI."""
        components: dict[str, ComponentHealth] = {}
        for name, check in all_checks.items():
            try:
                result = await check()
                components[name] = ComponentHealth(ok=bool(result.get("ok")), detail=result)
            except Exception as exc:  # a failing dependency is reported, not raised
                components[name] = ComponentHealth(ok=False, detail={"error": str(exc)[:200]})
        return StatusOut(ok=all(c.ok for c in components.values()), components=components)

    return app
