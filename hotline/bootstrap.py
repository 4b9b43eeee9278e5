"""Bringing the casebook up to date at start-up: directory, lines, development credentials.

Idempotent: run by `hotline db upgrade` and at every start of `hotline serve`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.directory.seed import LineChannel, seed_directory
from common.settings import Settings
from ivr.lines import LineBook

log = logging.getLogger(__name__)


def line_channels(lines: LineBook) -> list[LineChannel]:
    return [LineChannel(line.number, line.name_zh, line.name_en) for line in lines.lines]


def bootstrap_casebook(settings: Settings, sessions: sessionmaker[Session], auth: AuthService, lines: LineBook) -> None:
    with sessions() as s:
        seed_directory(s, line_channels(lines))
    admin_token = settings.optional_secret("admin_token")
    if admin_token:
        auth.ensure_user("admin", Role.ADMIN, display_name="Administrator")
        # a bootstrap credential, not a way of working: it ends (30 days in development, a day
        # elsewhere), and each start moves its end on; people sign in with their own names
        lifetime = timedelta(days=30) if settings.environment == "development" else timedelta(days=1)
        auth.issue_token("admin", token=admin_token, lifetime=lifetime, renew=True)
    open311_key = settings.optional_secret("open311_api_key")
    if open311_key:
        auth.create_api_key("web", "web", key=open311_key, replace=True)
