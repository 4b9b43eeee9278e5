"""The pages' shared client as a feature: its files only (each page is a feature of its own)."""

from __future__ import annotations

from hotline.features import Feature, Parts
from hotline.pages.routes import router


def feature(parts: Parts) -> Feature:
    return Feature("pages", routers=(router,))
