"""Small factories the CLI and the processes share (nothing is created at import time)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from common.paths import prompts_dir, tts_cache_dir
from common.settings import Settings
from ivr.lines import LineBook, load_lines
from ivr.prompts import build_prompts, load_catalogue
from telephony.runtime.config import PhoneAccount
from telephony.runtime.layout import resolve_layout
from telephony.runtime.process import AsteriskProcess

log = logging.getLogger(__name__)


def lines_book(settings: Settings, sessions: sessionmaker[Session] | None = None) -> LineBook:
    """The lines in force: those an administrator saved from the admin page, else the lines file.
    Without a database yet (a first start before `hotline db upgrade`), or with stored lines that
    no longer read, the file's, and the log says why."""
    from sqlalchemy.exc import SQLAlchemyError

    from casebook.cases.errors import InvalidInput
    from casebook.clock import SystemClock
    from hotline.features.lines.store import LineStore
    from hotline.root import build_casebook

    casebook = None
    if sessions is None:
        casebook = build_casebook(settings, pool_size=1)
        sessions = casebook.sessions
    try:
        return LineStore(sessions, lambda: load_lines(settings.lines_file), SystemClock()).current()
    except (SQLAlchemyError, InvalidInput) as exc:
        log.warning("the lines file's lines (the stored lines could not be read: %s)", str(exc).splitlines()[0])
        return load_lines(settings.lines_file)
    finally:
        if casebook is not None:
            casebook.close()


def build_all_prompts(settings: Settings, lines: LineBook | None = None) -> tuple[int, int]:
    entries = load_catalogue(lines or lines_book(settings), settings.prompts_file)
    made = build_prompts(entries, prompts_dir(settings), tts_cache_dir(settings), settings.prompts_override_dir)
    return made, len(entries)


def asterisk_process(settings: Settings) -> AsteriskProcess:
    asterisk = settings.asterisk
    return AsteriskProcess(asterisk, resolve_layout(asterisk), lambda: agent_phones(settings))


def agent_phones(settings: Settings) -> list[PhoneAccount]:
    """The agents' phones from the casebook, for Asterisk's configuration. Without a database yet
    (a first start before `hotline db upgrade`) Asterisk starts with none, and says so."""
    from sqlalchemy.exc import SQLAlchemyError

    from casebook.agents.services import AgentDirectory
    from hotline.root import build_casebook

    casebook = build_casebook(settings, pool_size=1)
    try:
        accounts = AgentDirectory(casebook.sessions).sip_accounts()
    except SQLAlchemyError as exc:
        log.warning("no agents' phones configured (the casebook could not be read: %s)", str(exc).splitlines()[0])
        return []
    finally:
        casebook.close()
    return [PhoneAccount(a.extension, a.digest_md5, a.digest_sha256) for a in accounts]
