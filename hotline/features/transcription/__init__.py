"""Transcription of the callers' messages after the call (services.py): the only place where the
speech engine (asr) and the casebook meet; run by a thread of the platform or by the Celery worker."""
