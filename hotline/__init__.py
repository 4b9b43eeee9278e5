"""The composition root: the `hotline` command and the wiring of the packages into processes.

This is the one place that may import every package; the packages themselves keep the
dependency rule (`telephony` -> `ivr` / `asr` -> `casebook`, checked by import-linter).
"""
