"""The case workspace as a feature: its pages (their data is the casebook's API)."""

from __future__ import annotations

from hotline.features import Feature, Parts
from hotline.features.casework.page import router


def feature(parts: Parts) -> Feature:
    return Feature("casework", routers=(router,))
