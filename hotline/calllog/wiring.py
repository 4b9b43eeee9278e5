"""The call log as a feature: its writer runs with the telephony application (where the events are)."""

from __future__ import annotations

from hotline.calllog.writer import CallLogWriter
from hotline.features import Feature


def feature(writer: CallLogWriter) -> Feature:
    return Feature("call log", with_telephony=(writer.run,))
