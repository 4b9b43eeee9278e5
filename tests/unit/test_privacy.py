from __future__ import annotations

import pytest

from common.privacy import mask_number


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+8613800138000", "+86*******8000"),
        ("12345", "***45"),
        ("", "<none>"),
        (None, "<none>"),
    ],
)
def test_phone_numbers_are_masked_for_logs(number: str | None, masked: str) -> None:
    assert mask_number(number) == masked
