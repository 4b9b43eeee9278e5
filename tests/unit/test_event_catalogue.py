"""The event catalogue (common/events.py), its page (docs/events.md), and the bus's check."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from common.bus import EventBus, PlatformEvent
from common.events import CATALOGUE, KINDS, outside_catalogue, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_events_page_is_the_catalogue() -> None:
    assert render_markdown() in DOCS.read_text(encoding="utf-8"), "run scripts/events-doc.sh"
    assert "..." not in render_markdown()


def test_each_kind_is_named_once_and_its_fields_are_read_from_the_data_column() -> None:
    assert len(CATALOGUE) == len(KINDS)
    assert CATALOGUE["call.ended"].fields == {"outcome", "reason"}
    assert CATALOGUE["callback.failed"].fields >= {"cause", "code", "next_attempt_at"}
    assert CATALOGUE["ivr.menu"].fields == frozenset()


def test_the_bus_delivers_an_undeclared_event_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    before = len(EventBus.published_outside_catalogue)
    with caplog.at_level(logging.ERROR, logger="common.bus"):
        bus.publish(PlatformEvent("ivr.key", "c1", {"key": "1"}))  # declared: nothing said
        assert len(EventBus.published_outside_catalogue) == before
        bus.publish(PlatformEvent("ivr.key", "c1", {"key": "1", "pressed_at": 3}))
        bus.publish(PlatformEvent("ivr.whistle", "c1", {}))
    found = EventBus.published_outside_catalogue[before:]
    del EventBus.published_outside_catalogue[before:]  # this test's own, on purpose
    assert found == [
        "ivr.key carries fields the catalogue does not declare: pressed_at",
        "no event kind 'ivr.whistle' in the catalogue (common/events.py)",
    ]
    assert "pressed_at" in caplog.text
    assert outside_catalogue("queue.left", {"queue": "intake", "position": 1}) is None
