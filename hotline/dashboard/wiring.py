"""The managers' dashboard as a feature: a page (its figures are the casebook's API)."""

from __future__ import annotations

from hotline.dashboard.page import router
from hotline.features import Feature


def feature() -> Feature:
    return Feature("dashboard", routers=(router,))
