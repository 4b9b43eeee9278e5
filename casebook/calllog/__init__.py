"""The call log: every call's events as the platform saw them, stored for the metrics."""
