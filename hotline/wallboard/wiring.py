"""The wallboard as a feature: its page, its live socket, and the loop that follows the bus."""

from __future__ import annotations

from hotline.features import Feature
from hotline.wallboard.routes import page_router, router
from hotline.wallboard.services import Wallboard


def feature(wallboard: Wallboard) -> Feature:
    return Feature(
        "wallboard", routers=(router, page_router), with_telephony=(wallboard.run,), state={"wallboard": wallboard}
    )
