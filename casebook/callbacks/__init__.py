"""Callbacks: the platform calls citizens back (the satisfaction question after a reply, or an
agent's one click) through the telephony process; the casebook keeps the schedule and outcomes."""
