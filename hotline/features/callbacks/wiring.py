"""Satisfaction callbacks as a feature: the dialler runs with the telephony application, once
the Stasis application is ready to take the answered calls. (The dialler itself is built with
the telephony application, which hands it the calls it places.)"""

from __future__ import annotations

from hotline.features import Feature, Parts


def feature(parts: Parts) -> Feature:
    dialler = parts.callbacks
    return Feature(
        "callbacks",
        with_telephony=(lambda: dialler.run(parts.stasis_ready),),
        checks={"callbacks": dialler.health},
    )
