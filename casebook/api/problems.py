"""What the API answers when it refuses: `{"detail": <reason>, "error": <id>}`.

`detail` is the reason in English prose, for people reading the API and its logs; `error` is a
stable id (snake_case) that pages translate (hotline/pages/static/client.js holds the words), so a
Chinese page never has to show English prose alone, and a client can tell refusals apart
without parsing text. Ids are never renamed; new ones are added here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

# the id of a refusal that says nothing more precise, by its HTTP status
BY_STATUS = {
    400: "bad_request",
    401: "not_logged_in",
    403: "not_allowed",
    404: "not_found",
    408: "too_slow",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}


# a feature served only by the process that runs the telephony application (the desk, the
# wallboard), asked of another process (`hotline serve --no-telephony`, the ASGI entry point)
NO_TELEPHONY = "no_telephony"


def error_id(status: int) -> str:
    return BY_STATUS.get(status, "error")


class Refusal(HTTPException):
    """An HTTP refusal with its own error id (where the status alone says too little)."""

    def __init__(self, status_code: int, detail: str, error: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail, headers)
        self.error = error


def problem(
    status: int, detail: Any, error: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "error": error or error_id(status)}, status_code=status, headers=headers)


def documented(generated: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema, with 422 as this API answers it: the field errors of a malformed request
    (a list), or the reason a well-formed one breaks a rule of the casebook (a text); and the id."""

    def openapi() -> dict[str, Any]:
        schema = generated()
        error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if error is not None:
            error["properties"]["detail"] = {
                "title": "Detail",
                "anyOf": [
                    {"type": "string", "description": "why the request breaks a rule of the casebook"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                ],
            }
            error["properties"]["error"] = {
                "title": "Error",
                "type": "string",
                "description": "the refusal's stable id, which pages translate (casebook/api/problems.py)",
            }
        return schema

    return openapi
