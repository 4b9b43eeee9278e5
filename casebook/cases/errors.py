"""Errors of the casebook's actions; the API maps each to a 4xx with the message as the reason
and `error_id` as the stable id pages translate (casebook/api/problems.py)."""

from __future__ import annotations


class CasebookError(Exception):
    status_code = 400
    error_id = "refused"


class InvalidTransition(CasebookError):
    status_code = 409
    error_id = "wrong_state"


class NotFound(CasebookError):
    status_code = 404
    error_id = "not_found"


class Forbidden(CasebookError):
    status_code = 403
    error_id = "not_allowed"


class InvalidInput(CasebookError):
    status_code = 422
    error_id = "invalid_input"


class Conflict(CasebookError):
    """The thing exists already (a user name taken)."""

    status_code = 409
    error_id = "already_exists"
