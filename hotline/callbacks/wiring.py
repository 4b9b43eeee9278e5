"""Satisfaction callbacks as a feature: the dialler runs with the telephony application, once
the Stasis application is ready to take the answered calls."""

from __future__ import annotations

import asyncio

from hotline.callbacks.dialler import CallbackDialler
from hotline.features import Feature


def feature(dialler: CallbackDialler, stasis_ready: asyncio.Event) -> Feature:
    return Feature(
        "callbacks",
        with_telephony=(lambda: dialler.run(stasis_ready),),
        checks={"callbacks": dialler.health},
    )
