"""What every HTTP request is checked for before any route, login included: its size, and
characters no text field may hold.

- **NUL** cannot be stored in PostgreSQL text; the other **control characters** (U+0001 to U+001F
  but tab, line feed and carriage return) are in no citizen's words, and once stored they make
  XML that no parser reads (Open311's `requests.xml`, for every client, for as long as the case
  is listed: security trial of issue 16). Refused wherever they come: raw in a body, escaped in
  JSON (`\\u0001`), percent-encoded in a form or the query string (`%01`), split across the
  body's chunks.
- **Size and time**: a body is read whole before it is checked, so it has a limit (`MAX_BODY`),
  applied before authentication: an anonymous client cannot make the API hold 10 MB; and a body
  that trickles is cut after `BODY_TIMEOUT_S` (408; the headers' own deadline is hotline/server.py). A file upload has
  its own limit (the attachment's) and its bytes are a file's, not text.

A plain ASGI middleware (no per-request task): it reads the body, checks it, then replays it.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from casebook.api import problems
from casebook.cases.attachments import MAX_BYTES
from casebook.open311.formats import error_response

UPLOAD = re.compile(r"^/api/v1/cases/[0-9]{1,20}/attachments$")  # a multipart upload of a file
UPLOAD_OVERHEAD = 64 * 1024  # the multipart framing around the file
MAX_BODY = 256 * 1024  # a form or a JSON document: a reply of 4,000 characters is 12 kB
BODY_TIMEOUT_S = 30.0  # 256 kB in 30 s is 70 kbit/s: any link a county office has; a trickle is cut

# the control characters, as bytes, as JSON escapes (not an escaped backslash before "u"), percent-encoded
# (also DEL, the C1 controls U+0080 to U+009F, and the direction overrides U+202A to U+202E and
# U+2066 to U+2069, which make a case list show words in another order than they were written)
RAW = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
JSON_ESCAPED = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u(?:00(?:0[0-8bcef]|1[0-9a-f]|7f|[89][0-9a-f])|202[a-e]|206[6-9])", re.IGNORECASE
)
PERCENT = re.compile(rb"%(?:0[0-8bcef]|1[0-9a-f]|7f|c2%[89][0-9a-f]|e2%80%a[a-e]|e2%81%a[6-9])", re.IGNORECASE)

NUL_PROBLEM = "the request contains a NUL character, which is not allowed in any field"
CONTROL_PROBLEM = (
    "the request contains a control character (U+0001 to U+001F other than tab and line breaks, DEL,"
    " U+0080 to U+009F) or a text-direction override (U+202A to U+202E, U+2066 to U+2069),"
    " which is not allowed in any field"
)


def _forbidden(data: bytes, *, percent: bool) -> str | None:
    """The error id of a forbidden character in `data` (`percent`: also percent-encoded), or None."""
    found = RAW.search(data) or JSON_ESCAPED.search(data) or (PERCENT.search(data) if percent else None)
    if found is None:
        return None
    return "nul_character" if found.group().lower().endswith((b"\x00", b"u0000", b"%00")) else "control_character"


class Doors:
    """Refuses, with a reason, a request that holds NUL or a control character, or a body over
    `MAX_BODY` (an upload over the attachment's limit)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = (scope.get("raw_path") or b"") + b"?" + scope.get("query_string", b"")
        refused = _forbidden(where, percent=True) or _forbidden(scope.get("path", "").encode(), percent=False)
        if refused:
            await self._refuse(scope, receive, send, 400, refused)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"0")
        if UPLOAD.match(scope.get("path", "")):
            await self._upload(scope, receive, send, headers)
            return
        if length.isdigit() and int(length) > MAX_BODY:
            await self._refuse(scope, receive, send, 413, "too_large")
            return
        try:
            async with asyncio.timeout(BODY_TIMEOUT_S):
                body = await self._read(receive)
        except TimeoutError:
            await self._refuse(scope, receive, send, 408, "too_slow")
            return
        if body is None:
            await self._refuse(scope, receive, send, 413, "too_large")
            return
        form = headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded")
        refused = _forbidden(body, percent=form)
        if refused:
            await self._refuse(scope, receive, send, 400, refused)
            return
        replay = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _upload(self, scope: Any, receive: Any, send: Any, headers: dict[bytes, bytes]) -> None:
        """A file upload: its sender must be signed in before a byte of it is read (the form is
        parsed, and spooled to disk, before any route's check: security trial, 2.5 GB sent by
        nobody), and it is cut at the attachment's limit whether its length is declared or not."""
        limit = MAX_BYTES + UPLOAD_OVERHEAD
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            size = f"{int(length) / 1024 / 1024:.1f} MB"
            reason = f"the upload is {size}; a file may be at most {MAX_BYTES // 2**20} MB"
            await problems.problem(413, reason, "too_large")(scope, receive, send)
            return
        if not await _signed_in(scope, headers):
            reason = "log in first: send Authorization: Bearer <token>"
            await problems.problem(401, reason, "not_logged_in", {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counted() -> Any:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    return {"type": "http.disconnect"}  # the form parser stops here
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to a body cut short (a parsing error): the 413 below says why
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not (over and not started):
                raise
        if over and not started:
            reason = f"the upload is larger than {MAX_BYTES // 2**20} MB, the most a file may be"
            await problems.problem(413, reason, "too_large")(scope, receive, send)

    @staticmethod
    async def _read(receive: Any) -> bytes | None:
        """The whole body, or None once it grows past `MAX_BODY` (a length not declared)."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    @staticmethod
    async def _refuse(scope: Any, receive: Any, send: Any, status: int, error: str) -> None:
        reason = {
            "nul_character": NUL_PROBLEM,
            "control_character": CONTROL_PROBLEM,
            "too_large": f"the request's body is larger than {MAX_BODY // 1024} kB",
            "too_slow": f"the request's body did not arrive within {BODY_TIMEOUT_S:g} s",
        }[error]
        path = scope.get("path", "")
        if path.startswith("/open311/"):
            response: Response = error_response("xml" if path.endswith(".xml") else "json", [(status, reason)])
        else:
            response = problems.problem(status, reason, error)
        await response(scope, receive, send)


async def _signed_in(scope: Any, headers: dict[bytes, bytes]) -> bool:
    """Whether the request's bearer token names a person (the API's own check, made early)."""
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if not authorization.lower().startswith("bearer "):
        return False
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    if services is None:  # no casebook behind this app: the route's own check decides
        return True
    actor = await run_in_threadpool(services.auth.actor_for_token, authorization[7:].strip())
    return actor is not None
