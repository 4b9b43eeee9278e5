"""The lines file: the four unified numbers by default, clear errors for bad files, business hours."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ivr.hours import HoursRule, is_open, parse_days
from ivr.lines import LinesFileError, load_lines


def test_the_default_lines_are_the_unified_numbers() -> None:
    book = load_lines()
    numbers = {line.number: line for line in book.lines}
    assert {"12345", "96960"} <= set(numbers)
    assert {line.code for line in book.lines} >= {"mayor", "efficiency", "county-head", "sunshine"}
    for line in book.lines:
        assert line.name_zh and line.name_en and line.greeting.zh and line.greeting.en
        assert line.default_queue and line.default_category
    assert book.by_number("96960").default_queue == "efficiency"  # type: ignore[union-attr]
    assert book.by_number("99999") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lines: [", "not valid YAML"),
        ("lines:\n  - number: abc\n", "invalid"),
        (
            "lines:\n"
            + "\n".join(
                f"  - {{number: '12345', code: c{i}, name_zh: a, name_en: b, greeting: {{zh: x, en: y}}, "
                f"default_queue: intake, default_category: g}}"
                for i in range(2)
            ),
            "duplicate line number",
        ),
        (
            "lines:\n  - {number: '1', code: a, name_zh: a, name_en: b, greeting: {zh: x, en: y}, "
            "default_queue: general, default_category: g}",
            "invalid",
        ),
    ],
)
def test_a_bad_lines_file_is_refused_with_a_clear_message(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LinesFileError, match=message):
        load_lines(path)


def test_a_missing_lines_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LinesFileError, match="cannot read"):
        load_lines(tmp_path / "nope.yaml")


def test_days_ranges_wrap_around_the_week() -> None:
    assert parse_days("mon-fri") == {0, 1, 2, 3, 4}
    assert parse_days("sat-mon") == {5, 6, 0}
    assert parse_days("tue,thu") == {1, 3}
    with pytest.raises(ValueError):
        parse_days("funday")


def test_business_hours() -> None:
    rules = [
        HoursRule(days="mon-fri", open="08:30", close="12:00"),  # type: ignore[arg-type]
        HoursRule(days="mon-fri", open="13:30", close="17:30"),
    ]  # type: ignore[arg-type]
    monday = datetime(2026, 11, 23)
    assert is_open(rules, monday.replace(hour=9))
    assert not is_open(rules, monday.replace(hour=12, minute=30))  # lunch
    assert not is_open(rules, monday.replace(hour=17, minute=30))
    assert not is_open(rules, datetime(2026, 11, 28, 10))  # Saturday
    assert is_open(None, monday)  # no rules: around the clock
    assert not is_open([], monday)  # empty list: always closed
