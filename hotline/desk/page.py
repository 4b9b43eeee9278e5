"""The agent's page, `/agent`: plain HTML and JavaScript served by the platform.

No build step and no framework: the page is three small files in `static/`, so the county's IT
staff can read what runs on the desks. The browser softphone library (SIP.js, plain ES modules
with no dependencies) is installed from npm by the setup (`web/`), never copied into the
repository, and served from there as it is.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent / "static"
SIPJS = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "sip.js" / "lib"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
NO_STORE = {"Cache-Control": "no-store"}  # a new version reaches the desks at the next reload

router = APIRouter(tags=["agent page"], include_in_schema=False)


@router.get("/agent")
def agent_page() -> FileResponse:
    return FileResponse(STATIC / "agent.html", media_type=TYPES[".html"], headers=NO_STORE)


@router.get("/agent/sip.js/{name:path}")
def softphone_library(name: str) -> FileResponse:
    """SIP.js's own modules (`web/node_modules/sip.js/lib`), for the page's browser softphone."""
    path = (SIPJS / name).resolve()
    if path.suffix != ".js" or not path.is_relative_to(SIPJS.resolve()):
        raise HTTPException(404, "no such file")
    if not path.is_file():
        raise HTTPException(404, "the browser softphone library is not installed (make up installs it)")
    return FileResponse(path, media_type=TYPES[".js"])


@router.get("/agent/{name}")
def agent_asset(name: str) -> FileResponse:
    path = STATIC / name
    if path.suffix not in TYPES or path.parent != STATIC or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=NO_STORE)
