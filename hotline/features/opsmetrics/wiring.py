"""The operators' figures as a feature: /metrics, and the work that follows the bus for it."""

from __future__ import annotations

from fastapi import APIRouter

from hotline.features import Feature, Parts
from hotline.features.opsmetrics.collector import OpsMetrics
from hotline.ports import CALL_LOG_BACKLOG


def feature(parts: Parts) -> Feature:
    token = parts.settings.optional_secret("metrics_token")
    metrics = OpsMetrics(parts.bus, parts.book, parts.take(CALL_LOG_BACKLOG), parts.lines, token=token)
    router = APIRouter()
    router.add_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    return Feature("opsmetrics", routers=(router,), with_api=(metrics.run,), state={"ops_metrics": metrics})
