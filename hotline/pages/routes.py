"""The shared page client's files, at /pages/{name} (public, as the pages themselves are)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from hotline.pages.files import page_file

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/pages/{asset}")
def shared_asset(asset: str) -> FileResponse:
    return page_file(STATIC, asset)
