"""A metrics table as CSV or XLSX, with its formulas: the CSV carries them as a second header
line (Excel opens UTF-8 with the byte-order mark, so Chinese labels read right), the workbook on a
second sheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetml.sheet"


def _header(table: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    keys = ["key", *(["name"] if any("name" in r for r in table["rows"]) else [])]
    labels = [table["by"], *(["name"] if len(keys) == 2 else [])]  # the grouping: unit, queue, hour...
    formulas = ["", *([""] if len(keys) == 2 else [])]
    for column in table["columns"]:
        keys.append(column["key"])
        labels.append(column["label"] + (f" ({column['unit']})" if column["unit"] else ""))
        formulas.append(column["formula"])
    return keys, labels, formulas


def _lines(table: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(table["rows"])
    if table.get("total"):
        rows.append(table["total"])
    return rows


def to_csv(table: dict[str, Any]) -> bytes:
    keys, labels, formulas = _header(table)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{table['kind']} by {table['by']}", table["from"], table["to"]])
    writer.writerow(labels)
    writer.writerow(formulas)
    for row in _lines(table):
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: dict[str, Any]) -> bytes:
    keys, labels, formulas = _header(table)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{table['kind']}-{table['by']}"[:31]
    sheet.append([f"{table['kind']} by {table['by']}", table["from"], table["to"]])
    sheet.append(labels)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in _lines(table):
        sheet.append([row.get(k) for k in keys])
    notes = book.create_sheet("formulas")
    notes.append(["figure", "formula"])
    for label, formula in zip(labels, formulas, strict=True):
        if formula:
            notes.append([label, formula])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
