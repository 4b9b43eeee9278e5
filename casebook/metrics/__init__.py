"""Managers' figures: call metrics from the platform's own call log, case metrics from the
casebook, public-opinion trends; every formula is written in `formulas.py` and shown beside
the figure."""
