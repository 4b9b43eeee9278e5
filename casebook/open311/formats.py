"""Open311 answers as JSON or XML, and the specification's error format for both."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import JSONResponse, Response

FORMATS = ("json", "xml")


class Open311Error(Exception):
    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format .{fmt[:10]}: use .json or .xml")
    return fmt


NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """The text without the characters XML 1.0 cannot hold: whatever a case holds (the doors
    refuse them now; older cases, an import, a database edited by hand), the answer parses."""
    return NOT_IN_XML.sub("", value)


def _xml_value(parent: Element, key: str, value: Any) -> None:
    node = SubElement(parent, key)
    if value is None:
        return
    if isinstance(value, bool):
        node.text = "true" if value else "false"
    elif isinstance(value, list):
        for item in value:
            _xml_value(node, "value" if not isinstance(item, dict) else key.rstrip("s") or "item", item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    else:
        node.text = xml_text(str(value))


def render(fmt: str, root: str, item: str, rows: list[dict[str, Any]], status_code: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(rows, status_code=status_code)
    top = Element(root)
    for row in rows:
        node = SubElement(top, item)
        for key, value in row.items():
            _xml_value(node, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="unicode").encode()
    return Response(body, status_code=status_code, media_type="text/xml; charset=utf-8")


def render_one(fmt: str, root: str, row: dict[str, Any]) -> Response:
    if fmt == "json":
        return JSONResponse(row)
    top = Element(root)
    for key, value in row.items():
        _xml_value(top, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="unicode").encode()
    return Response(body, media_type="text/xml; charset=utf-8")


def error_response(fmt: str, errors: list[tuple[int, str]]) -> Response:
    status = errors[0][0] if errors else 400
    rows = [{"code": code, "description": description} for code, description in errors]
    return render(fmt if fmt in FORMATS else "json", "errors", "error", rows, status_code=status)
