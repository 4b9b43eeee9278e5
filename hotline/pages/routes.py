"""The shared page client's files, at /pages/{name}, and the API's documentation pages (public,
as the pages themselves are: a page's data comes from the API with a token).

`/docs` (Swagger UI) and `/redoc` (ReDoc) are served from the platform's own copies of their
bundles (`web/node_modules`, installed from npm by the setup): FastAPI's own pages load them from
a CDN and render blank on a county intranet (security trial of issue 16), and their inline
script would not run under the pages' Content-Security-Policy.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from hotline.pages.files import NODE_MODULES, library_file, page_file

STATIC = Path(__file__).resolve().parent / "static"
LIBRARIES = {  # the package, and the folder of it that is served
    "swagger-ui-dist": NODE_MODULES / "swagger-ui-dist",
    "redoc": NODE_MODULES / "redoc" / "bundles",
}
FILES = {"swagger-ui-dist": {"swagger-ui.css", "swagger-ui-bundle.js"}, "redoc": {"redoc.standalone.js"}}
# ReDoc's footer shows its maker's logo from their site, which the pages' policy refuses (a console
# error on every visit, and a request to the internet from an intranet): the bundle is served with
# no address there, so the image fails at once and ReDoc hides it (its own onError); the words stay
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"

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
def documentation_library(package: str, name: str) -> Response:
    """The documentation pages' bundles: only the named files of the two packages."""
    if name not in FILES.get(package, set()):
        raise HTTPException(404, "no such file")
    missing = "the documentation bundles are not installed (make up installs them)"
    served = library_file(LIBRARIES[package], name, missing)
    if package != "redoc":
        return served
    return Response(_redoc_without_logo(str(served.path)), media_type=served.media_type)


@lru_cache(maxsize=1)
def _redoc_without_logo(path: str) -> bytes:
    return Path(path).read_bytes().replace(REDOC_LOGO, b"")
