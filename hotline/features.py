"""What a feature adds to a platform process, in one shape (as wazo-calld's plugins do).

Each feature's folder has a `wiring.py` whose `feature(...)` returns a `Feature`: its routers,
its long-running work (with the telephony application, or wherever the API is served), its
health checks and what its routes find on `app.state`. The composition root
(`hotline/platform.py`, `Platform.features`) lists the features; `Platform.api` and
`Platform.serve` read that list and nothing else. docs/where-things-go.md says where a new
feature goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
Work = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Feature:
    name: str
    routers: tuple[APIRouter, ...] = ()
    with_telephony: tuple[Work, ...] = ()  # run by the process that holds the Stasis application
    with_api: tuple[Work, ...] = ()  # run by every process that serves the API
    checks: Mapping[str, HealthCheck] = field(default_factory=dict)  # in /status, with telephony
    state: Mapping[str, object] = field(default_factory=dict)  # on app.state, with telephony
