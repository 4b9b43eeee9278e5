"""Errors raised by the ARI client."""

from __future__ import annotations


class AriError(Exception):
    """ARI answered with an error status (or could not be reached)."""

    def __init__(self, status: int, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(f"ARI {method} {path} -> {status}: {message}")
        self.status = status
        self.message = message


class AriNotFound(AriError):
    """The channel, playback or recording no longer exists (404): usually the caller hung up."""


class AriUnavailable(AriError):
    """Asterisk's HTTP server did not answer at all."""
