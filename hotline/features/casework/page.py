"""The routes of the case workspace: its pages and their static files.

The pages are public shells (no data); what each person may read or do is decided by the API the
pages call (`/api/v1/cases`, `/api/v1/directory`), as for the agent page and the dashboard.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from hotline.pages.files import page_file

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["casework"], include_in_schema=False)


@router.get("/")
def home_page() -> FileResponse:
    """The landing page: the pages the signed-in person may open."""
    return page_file(STATIC, "home.html")


@router.get("/cases")
def case_list_page() -> FileResponse:
    return page_file(STATIC, "cases.html")


@router.get("/cases/{number}")
def case_page(number: str) -> FileResponse:
    """One case's page (the number is read by the page from its address)."""
    return page_file(STATIC, "case.html")


@router.get("/admin")
def admin_page() -> FileResponse:
    """The administrator's page: people, API keys, the audit log (the API refuses anyone else)."""
    return page_file(STATIC, "admin.html")


@router.get("/casework/{asset}")
def casework_asset(asset: str) -> FileResponse:
    return page_file(STATIC, asset)
