"""Notifications: the bell of every page, and e-mail for the units that want it."""
