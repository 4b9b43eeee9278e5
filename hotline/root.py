"""The composition root: what every process of the platform is built from.

Each process (`hotline serve`, `hotline serve --no-telephony`, the ASGI entry point, the Celery
worker and beat, the CLI) starts here with its settings: `build_casebook` makes the casebook's
services on one database engine; `hotline.platform.Platform` adds the telephony application and
the API on top of it; `hotline.jobs` lists the scheduled work that both the embedded scheduler and
Celery beat run. Nothing here connects to anything: the database is reached on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.directory import CountyDirectory, DirectorySettings
from casebook.auth.services import AccessPolicy, AuthService
from casebook.auth.throttle import ThrottlePolicy
from casebook.cases.services import CaseBook
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.notifications.senders import Sender, SmtpSender
from casebook.notifications.services import Notifications
from casebook.reports.services import ReportService
from common.setting_groups import CasebookSettings
from common.settings import Settings
from hotline.relay import CaseNoticeRelay


@dataclass
class Casebook:
    """The casebook's services of one process, on one engine (closed with `close`)."""

    engine: Engine
    sessions: sessionmaker[Session]
    book: CaseBook
    auth: AuthService
    reports: ReportService
    notifications: Notifications
    senders: dict[str, Sender]  # the channels out this installation has (e-mail when a mail server is set)
    relay: CaseNoticeRelay | None  # case notices to the other processes (hotline/relay.py), when on

    def close(self) -> None:
        self.engine.dispose()


def build_casebook(settings: Settings, *, pool_size: int = 10) -> Casebook:
    """The casebook's services, from the casebook's and the notifications' groups of the settings."""
    group, notify = settings.casebook, settings.notify
    engine = make_engine(group.database_url, pool_size=pool_size)
    sessions = make_sessionmaker(engine)
    book = CaseBook(
        sessions,
        timezone=group.timezone,
        recordings_dir=group.recordings_dir,
        attachments_dir=group.attachments_dir,
    )
    book.conversations.retention = timedelta(days=group.conversation_retention_days)
    notifications = Notifications(sessions, book.clock, public_url=notify.public_url, timezone=group.timezone)
    book.listeners.add(notifications.on_notice)  # every process that acts on cases tells their people
    senders: dict[str, Sender] = {}
    if notify.smtp_host:
        senders["email"] = SmtpSender(
            notify.smtp_host,
            notify.smtp_port,
            notify.smtp_sender,
            user=notify.smtp_user,
            password=notify.smtp_password,
            starttls=notify.smtp_starttls,
        )
    relay = CaseNoticeRelay(settings.redis_url) if settings.relay_on else None
    if relay is not None:
        book.listeners.add(relay.publish)
    return Casebook(
        engine,
        sessions,
        book,
        AuthService(
            sessions,
            book.clock,
            access=AccessPolicy(
                idle=timedelta(minutes=group.session_idle_minutes), longest=timedelta(hours=group.session_max_hours)
            ),
            throttle=ThrottlePolicy(
                lock_after=group.sign_in_lock_after, lockout=timedelta(minutes=group.sign_in_lockout_minutes)
            ),
            directory=_county_directory(group),
        ),
        ReportService(sessions, group.reports_dir, timezone=group.timezone),
        notifications,
        senders,
        relay,
    )


def _county_directory(group: CasebookSettings) -> CountyDirectory | None:
    """The county's LDAP directory, when the center has one (HOTLINE_LDAP_URL)."""
    if not group.ldap_url:
        return None
    return CountyDirectory(
        DirectorySettings(
            url=group.ldap_url,
            base_dn=group.ldap_base_dn,
            user_filter=group.ldap_user_filter,
            bind_dn=group.ldap_bind_dn or None,
            bind_password=group.ldap_bind_password or None,
        )
    )
