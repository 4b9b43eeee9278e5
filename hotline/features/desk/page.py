"""The agent's page, `/agent`: plain HTML and JavaScript served by the platform.

No build step and no framework: the page is a few small files in `static/`, so the county's IT
staff can read what runs on the desks. The browser softphone library (SIP.js, plain ES modules
with no dependencies) is installed from npm by the setup (`web/`), never copied into the
repository, and served from there as it is.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from hotline.pages.files import NODE_MODULES, library_file, page_file

STATIC = Path(__file__).resolve().parent / "static"
SIPJS = NODE_MODULES / "sip.js" / "lib"

router = APIRouter(tags=["agent page"], include_in_schema=False)


@router.get("/agent")
def agent_page() -> FileResponse:
    return page_file(STATIC, "agent.html")


@router.get("/agent/sip.js/{name:path}")
def softphone_library(name: str) -> FileResponse:
    """SIP.js's own modules (`web/node_modules/sip.js/lib`), for the page's browser softphone."""
    return library_file(SIPJS, name, "the browser softphone library is not installed (make up installs it)")


@router.get("/agent/{name}")
def agent_asset(name: str) -> FileResponse:
    return page_file(STATIC, name)
