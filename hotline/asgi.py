"""The API alone, for an ASGI server with several workers:

    uvicorn hotline.asgi:app --host 127.0.0.1 --port 8001 --workers 2

It is the application of `hotline serve --no-telephony`, built by the same composition root (the
case API, Open311, reports, figures, the dashboard, `/metrics`; the agent desk and wallboard routes
answer 503 "runs with the telephony application"), without that process's scheduled jobs: run
those in one place (`hotline serve`, or Celery beat). Each worker runs the case feed of its pages
and, with the relay on (HOTLINE_LIVE_RELAY, or celery mode), hears the other processes' cases.
Each worker builds it from the settings when it imports this module; the database is not touched
until the first request.
"""

from __future__ import annotations

from typing import Any

from common.settings import get_settings
from hotline.platform import Platform


def build() -> Any:
    platform = Platform(get_settings())
    app = platform.api(telephony=False)
    app.router.lifespan_context = platform.api_lifespan  # the case feed and the relay, per worker
    return app


app = build()
