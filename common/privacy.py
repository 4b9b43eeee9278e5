"""Keeping citizens' phone numbers out of logs.

Logs are read by many people (IT staff, vendors, whoever gets a support bundle); a caller's
number is personal data. Every log line that concerns a caller carries the masked form.
"""

from __future__ import annotations


def mask_number(number: str | None) -> str:
    """`13800138000` -> `138****8000`; shorter numbers keep only their last two characters."""
    if not number:
        return "<none>"
    n = len(number)
    if n >= 11:
        return number[:3] + "*" * (n - 7) + number[-4:]
    return "*" * max(0, n - 2) + number[-2:]
