"""Errors of signing in and of access, each a 4xx with its reason (casebook/api/problems.py)."""

from __future__ import annotations

from casebook.cases.errors import CasebookError


class TooManyAttempts(CasebookError):
    """Too many wrong passwords: the next attempt waits (`retry_after` seconds, sent as the
    Retry-After header), or the name is locked until an administrator lifts it."""

    status_code = 429
    error_id = "too_many_attempts"

    def __init__(self, retry_after: int, *, locked: bool) -> None:
        self.retry_after = retry_after
        self.locked = locked
        if locked:
            minutes = max(1, round(retry_after / 60))
            reason = (
                f"this account is locked after too many wrong passwords, for about {minutes} more minutes; "
                "an administrator can unlock it"
            )
        else:
            reason = f"too many wrong passwords: try again in {retry_after} s"
        super().__init__(reason)
