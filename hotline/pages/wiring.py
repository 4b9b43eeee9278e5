"""The pages' shared client as a feature: its files only (each page is a feature of its own)."""

from __future__ import annotations

from hotline.features import Feature
from hotline.pages.routes import router


def feature() -> Feature:
    return Feature("pages", routers=(router,))
