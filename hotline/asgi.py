"""The API alone, for an ASGI server with several workers:

    uvicorn hotline.asgi:app --host 127.0.0.1 --port 8001 --workers 2

It is the application of `hotline serve --no-telephony`, built by the same composition root (the
case API, Open311, reports, figures, the dashboard, `/metrics`; the agent desk and wallboard routes
answer 503 "runs with the telephony application"), without that process's scheduled jobs: run
those in one place (`hotline serve`, or Celery beat). Each worker builds it from the settings when
it imports this module; the database is not touched until the first request.
"""

from __future__ import annotations

from typing import Any

from common.settings import get_settings
from hotline.platform import Platform


def build() -> Any:
    return Platform(get_settings()).api(telephony=False)


app = build()
