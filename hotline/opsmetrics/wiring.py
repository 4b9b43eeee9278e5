"""The operators' figures as a feature: /metrics, and the work that follows the bus for it."""

from __future__ import annotations

from fastapi import APIRouter

from hotline.features import Feature
from hotline.opsmetrics.collector import OpsMetrics


def feature(metrics: OpsMetrics) -> Feature:
    router = APIRouter()
    router.add_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    return Feature("metrics", routers=(router,), with_api=(metrics.run,))
