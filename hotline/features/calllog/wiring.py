"""The call log as a feature: its writer runs with the telephony application (where the events
are), and offers how far behind it is to the operators' figures."""

from __future__ import annotations

from hotline.features import Feature, Parts
from hotline.features.calllog.writer import CallLogWriter
from hotline.ports import CALL_LOG_BACKLOG


def feature(parts: Parts) -> Feature:
    writer = CallLogWriter(parts.bus, parts.call_log)
    parts.offer(CALL_LOG_BACKLOG, writer)
    return Feature("calllog", with_telephony=(writer.run,), state={"call_log_writer": writer})
