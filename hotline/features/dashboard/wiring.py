"""The managers' dashboard as a feature: a page (its figures are the casebook's API)."""

from __future__ import annotations

from hotline.features import Feature, Parts
from hotline.features.dashboard.page import router


def feature(parts: Parts) -> Feature:
    return Feature("dashboard", routers=(router,))
