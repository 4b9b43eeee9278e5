"""The one in-process fan-out: every listener is told, a failing one is logged and passed over."""

from __future__ import annotations

import logging

import pytest

from common.listeners import Listeners


def test_a_listener_that_fails_is_logged_and_the_others_are_still_told(caplog: pytest.LogCaptureFixture) -> None:
    told: list[str] = []

    def broken(item: str) -> None:
        raise RuntimeError("boom")

    listeners: Listeners[str] = Listeners("the test", lambda item: f"notice {item}")
    listeners.add(told.append)
    listeners.add(broken)
    listeners.add(lambda item: told.append(item.upper()))
    with caplog.at_level(logging.ERROR):
        listeners.tell("a")
    assert told == ["a", "A"] and len(listeners) == 3
    assert "a listener of the test failed on notice a" in caplog.text
