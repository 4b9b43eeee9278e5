"""The call log as a feature: every call event of the bus written to `call_events` in batches
(writer.py), from which the managers' call figures are computed (casebook/metrics)."""
