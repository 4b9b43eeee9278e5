"""The routes of the managers' dashboard: the page, its three static files, and ECharts.

Who may see the figures is decided by the API the page calls (`/api/v1/metrics`, `/api/v1/reports`:
supervisors, leaders and administrators); the page itself is public, like the agent's page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from hotline.pages.files import NODE_MODULES, library_file, page_file

STATIC = Path(__file__).resolve().parent / "static"
ECHARTS = NODE_MODULES / "echarts" / "dist"

router = APIRouter(tags=["dashboard"], include_in_schema=False)


@router.get("/dashboard")
def dashboard_page() -> FileResponse:
    return page_file(STATIC, "dashboard.html")


@router.get("/dashboard/echarts.min.js")
def charts_library() -> FileResponse:
    """Apache ECharts (`web/node_modules/echarts/dist/echarts.min.js`), for the page's charts."""
    return library_file(ECHARTS, "echarts.min.js", "the chart library (echarts) is not installed (make up installs it)")


@router.get("/dashboard/{asset}")
def dashboard_asset(asset: str) -> FileResponse:
    return page_file(STATIC, asset)
