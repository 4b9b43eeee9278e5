"""What every answer of the platform carries to keep a browser safe (security trial of issue 16:
the pages sent no CSP, frame-ancestors, nosniff or referrer policy).

- **Content-Security-Policy**: scripts from the platform's own files only, never inline (no page
  has an inline script or handler, and none may get one: a case's text that slipped into a page
  as markup could not run); no frames of the pages in other sites (`frame-ancestors 'none'`);
  connections to the platform and to the sources the composition root names (the browser
  softphone's Asterisk WebSocket). Inline styles are allowed: the documentation pages' bundles
  set them, and a style cannot run code.
- **X-Content-Type-Options: nosniff**: an attachment served as text is never run as a script.
- **Referrer-Policy: no-referrer**: a recording's link carries its ticket; no other site sees it.
- **X-Frame-Options: DENY** for browsers older than frame-ancestors; **Permissions-Policy**: the
  microphone for the platform's own pages (the softphone), no camera, no location.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def policy(connect_sources: Iterable[str] = ()) -> str:
    connect = " ".join(["'self'", *connect_sources])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",  # a report's <base> names the platform's own address
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """Adds the headers to every HTTP answer (a route's own header of the same name wins)."""

    def __init__(self, app: Any, connect_sources: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", policy(connect_sources).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
