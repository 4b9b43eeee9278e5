"""Satisfaction callbacks as a feature: the casebook schedules them when a unit replies; the
dialler (dialler.py) places them through the trunk and runs each answered call in Stasis."""
