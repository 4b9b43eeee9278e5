"""The shared page client's files, at /pages/{name}, and the API's documentation pages (public,
as the pages themselves are: a page's data comes from the API with a token).

`/docs` (Swagger UI) and `/redoc` (ReDoc) are served from the platform's own copies of their
bundles (`web/node_modules`, installed from npm by the setup): FastAPI's own pages load them from
a CDN and render blank on a county intranet (security trial of issue 16), and their inline
script would not run under the pages' Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from hotline.pages.files import NODE_MODULES, library_file, page_file

STATIC = Path(__file__).resolve().parent / "static"
LIBRARIES = {  # the package, and the folder of it that is served
    "swagger-ui-dist": NODE_MODULES / "swagger-ui-dist",
    "redoc": NODE_MODULES / "redoc" / "bundles",
}
FILES = {"swagger-ui-dist": {"swagger-ui.css", "swagger-ui-bundle.js"}, "redoc": {"redoc.standalone.js"}}

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/pages/{asset}")
def shared_asset(asset: str) -> FileResponse:
    return page_file(STATIC, asset)


@router.get("/docs")
def swagger_ui() -> FileResponse:
    return page_file(STATIC, "docs.html")


@router.get("/redoc")
def redoc() -> FileResponse:
    return page_file(STATIC, "redoc.html")


@router.get("/pages/lib/{package}/{name}")
def documentation_library(package: str, name: str) -> FileResponse:
    """The documentation pages' bundles: only the named files of the two packages."""
    if name not in FILES.get(package, set()):
        raise HTTPException(404, "no such file")
    return library_file(LIBRARIES[package], name, "the documentation bundles are not installed (make up installs them)")
