"""The HTTP API and pages (FastAPI)."""
