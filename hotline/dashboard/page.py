"""The routes of the managers' dashboard: the page, its three static files, and ECharts.

Who may see the figures is decided by the API the page calls (`/api/v1/metrics`, `/api/v1/reports`:
supervisors, leaders and administrators); the page itself is public, like the agent's page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent / "static"
ECHARTS = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
NO_STORE = {"Cache-Control": "no-store"}  # a new version of the page reaches the managers at the next reload

router = APIRouter(tags=["dashboard"], include_in_schema=False)


@router.get("/dashboard")
def dashboard_page() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type=TYPES[".html"], headers=NO_STORE)


@router.get("/dashboard/echarts.min.js")
def charts_library() -> FileResponse:
    """Apache ECharts (`web/node_modules/echarts/dist/echarts.min.js`), for the page's charts."""
    if not ECHARTS.is_file():
        raise HTTPException(404, "the chart library (echarts) is not installed (make up installs it)")
    return FileResponse(ECHARTS, media_type=TYPES[".js"])


@router.get("/dashboard/{asset}")
def dashboard_asset(asset: str) -> FileResponse:
    path = STATIC / asset
    if path.suffix not in TYPES or path.parent != STATIC or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=NO_STORE)
