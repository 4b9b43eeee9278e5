"""The case workspace as a feature: its pages (their data is the casebook's API) and the live
feed of case changes they follow, in every process that serves the API."""

from __future__ import annotations

from hotline.features import Feature, Parts
from hotline.features.casework.live import CaseFeed
from hotline.features.casework.page import router as page_router
from hotline.features.casework.routes import router


def feature(parts: Parts) -> Feature:
    feed = CaseFeed(parts.bus, parts.sessions)
    return Feature("casework", routers=(page_router, router), with_api=(feed.run,), api_state={"case_feed": feed})
