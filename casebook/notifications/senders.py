"""Sending messages outside the platform: the `Sender` of a channel, and the outbox job.

A message is first a row of the outbox (casebook/db/models/notifications.py), written with the
notification itself; `send_pending` hands each to its channel's sender and marks it sent, or
keeps it with the reason and tries again later and later. A mail server that is down delays mail,
it never loses it. E-mail is the one channel today; issue "Every channel" adds SMS as another
`Sender` under its own channel name, and nothing else changes.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.clock import Clock
from casebook.db.models import OutboxMessage

log = logging.getLogger(__name__)
LONGEST_WAIT = timedelta(hours=6)


class Sender(Protocol):
    """One channel out (e-mail, SMS): sends one message or raises with the reason."""

    def send(self, address: str, subject: str, body: str) -> None: ...


class SmtpSender:
    """E-mail through the county's mail server (SMTP, STARTTLS and a login when it asks for them)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout_s = user, password, starttls, timeout_s

    def send(self, address: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        message.set_content(body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def send_pending(
    sessions: sessionmaker[Session], clock: Clock, senders: Mapping[str, Sender], *, batch: int = 50
) -> int:
    """Send what waits in the outbox, oldest first, one message a transaction (locked while it is
    sent, so two schedulers never send it twice); returns how many were sent. A message whose
    channel has no sender here waits for a process that has one."""
    sent = 0
    for _ in range(batch):
        with sessions() as s:
            message = s.scalar(
                select(OutboxMessage)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.next_try_at <= clock.now(),
                    OutboxMessage.channel.in_(list(senders)),
                )
                .order_by(OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                break
            sent += _try(message, senders[message.channel], clock)
            s.commit()
    return sent


def _try(message: OutboxMessage, sender: Sender, clock: Clock) -> int:
    message.attempts += 1
    try:
        sender.send(message.address, message.subject, message.body)
    except Exception as exc:  # the reason is kept on the row and said in the log
        message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        wait = min(timedelta(minutes=2 ** min(message.attempts, 12)), LONGEST_WAIT)
        message.next_try_at = clock.now() + wait
        log.warning(
            "outbox: %s message %d not sent (attempt %d): %s; next try in %s",
            message.channel,
            message.id,
            message.attempts,
            message.last_error,
            wait,
        )
        return 0
    message.sent_at, message.last_error = clock.now(), ""
    return 1
