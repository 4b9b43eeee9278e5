"""Bringing the casebook up to date at start-up: directory, lines, development credentials.

Idempotent: run by `hotline db upgrade` and at every start of `hotline serve`.
"""

from __future__ import annotations

import logging

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
        auth.issue_token("admin", token=admin_token, lifetime=None)
    open311_key = settings.optional_secret("open311_api_key")
    if open311_key:
        auth.create_api_key("web", "web", key=open311_key)
