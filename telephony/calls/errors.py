"""Errors of the Stasis application."""

from __future__ import annotations

from ivr.ports import CallEnded


class RecordingFailed(CallEnded):
    """Asterisk could not record (disk, permissions): the call cannot take a message."""


__all__ = ["CallEnded", "RecordingFailed"]
