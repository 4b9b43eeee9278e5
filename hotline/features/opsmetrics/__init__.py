"""The operators' figures as a feature: Prometheus metrics at /metrics (collector.py), fed by the
bus in every process that serves the API. See docs/operations.md for each figure."""
