"""What two packages must agree on without importing each other, checked here (tests may import both)."""

from __future__ import annotations

from casebook.cases.lifecycle import Status
from ivr.flow import STATUS_PROMPTS
from ivr.lines import load_lines
from ivr.prompts import prompt_names


def test_every_case_status_a_caller_can_hear_has_a_prompt() -> None:
    audible = {s.value for s in Status} - {"merged"}  # a duplicate is read with its master's status
    assert audible <= STATUS_PROMPTS
    names = prompt_names(load_lines())
    assert {f"status-{s}" for s in STATUS_PROMPTS} <= names
    assert "status-unknown" in names
