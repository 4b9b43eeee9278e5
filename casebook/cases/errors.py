"""Errors of the casebook's actions; the API maps each to a 4xx with the message as the reason."""

from __future__ import annotations


class CasebookError(Exception):
    status_code = 400


class InvalidTransition(CasebookError):
    status_code = 409


class NotFound(CasebookError):
    status_code = 404


class Forbidden(CasebookError):
    status_code = 403


class InvalidInput(CasebookError):
    status_code = 422


class Conflict(CasebookError):
    """The thing exists already (a user name taken)."""

    status_code = 409
