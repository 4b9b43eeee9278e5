"""Serving the pages' files (agent page, dashboard, wallboard): each page is a few plain files
in its package's `static/`, and libraries come from `web/node_modules` (installed from npm by
the setup, never copied into the repository). Nothing outside those folders is ever served."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

NODE_MODULES = Path(__file__).resolve().parents[2] / "web" / "node_modules"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
NO_STORE = {"Cache-Control": "no-store"}  # a new version of a page reaches its users at the next reload


def page_file(folder: Path, name: str) -> FileResponse:
    """`name` from a page's own folder (no sub-folders, only HTML, JavaScript and CSS)."""
    path = folder / name
    if path.suffix not in TYPES or path.parent != folder or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=NO_STORE)


def library_file(root: Path, name: str, missing: str) -> FileResponse:
    """A JavaScript (or CSS) file of an npm package under `root`; `missing` says what to do when the
    package is not installed."""
    path = (root / name).resolve()
    if path.suffix not in (".js", ".css") or not path.is_relative_to(root.resolve()):
        raise HTTPException(404, "no such file")
    if not path.is_file():
        raise HTTPException(404, missing)
    return FileResponse(path, media_type=TYPES[path.suffix])
