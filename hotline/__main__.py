"""`python -m hotline` runs the `hotline` command."""

from hotline.cli import app

app()
