"""Signing in with the county's staff directory (LDAP), where the center has one.

A person the administrator made without a password signs in with their directory password: the
platform finds their entry (`user_filter` under `base_dn`, searched as `bind_dn` or anonymously)
and binds as it with the password given. Their role and unit stay the platform's (the directory
says who they are, the platform what they may do). People with a local password keep signing in
with it, so the center is never locked out when the directory is down.

An empty password is refused before the directory is asked: an LDAP bind with a DN and no
password is an "unauthenticated bind" that many servers accept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPBindError, LDAPException
from ldap3.utils.conv import escape_filter_chars

from casebook.cases.errors import CasebookError

log = logging.getLogger(__name__)


class DirectoryUnavailable(CasebookError):
    status_code = 503
    error_id = "directory_unavailable"


@dataclass(frozen=True)
class DirectorySettings:
    url: str  # ldap://dc.county.gov:389 or ldaps://...
    base_dn: str  # where people are: ou=people,dc=county,dc=gov
    user_filter: str = "(uid={username})"  # Active Directory: (sAMAccountName={username})
    bind_dn: str | None = None  # who searches (None: anonymously)
    bind_password: str | None = None
    timeout_s: float = 5.0


class CountyDirectory:
    def __init__(self, settings: DirectorySettings) -> None:
        self.settings = settings

    def _server(self) -> ldap3.Server:
        return ldap3.Server(
            self.settings.url, connect_timeout=max(1, int(self.settings.timeout_s)), get_info=ldap3.NONE
        )

    def verify(self, username: str, password: str) -> bool:
        """Whether the directory knows `username` with this password. Raises
        `DirectoryUnavailable` when it cannot be asked (not the person's fault: they are told)."""
        if not password or not username:
            return False
        server = self._server()
        found = self.settings.user_filter.format(username=escape_filter_chars(username))
        try:
            with ldap3.Connection(
                server,
                user=self.settings.bind_dn,
                password=self.settings.bind_password,
                auto_bind=True,
                receive_timeout=max(1, int(self.settings.timeout_s)),  # (ldap3 packs it as an integer)
                read_only=True,
            ) as searcher:
                searcher.search(self.settings.base_dn, found, attributes=[], size_limit=2)
                entries = list(searcher.entries)
        except LDAPException as exc:
            log.warning("the county directory cannot be asked: %s", type(exc).__name__)
            raise DirectoryUnavailable("the county directory cannot be reached; try again soon") from None
        if len(entries) != 1:  # nobody, or a filter that names two people: never guess which
            return False
        try:
            with ldap3.Connection(
                server,
                user=entries[0].entry_dn,
                password=password,
                auto_bind=True,
                receive_timeout=max(1, int(self.settings.timeout_s)),  # (ldap3 packs it as an integer)
                read_only=True,
            ):
                return True
        except LDAPBindError:
            return False
        except LDAPException as exc:
            log.warning("the county directory cannot be asked: %s", type(exc).__name__)
            raise DirectoryUnavailable("the county directory cannot be reached; try again soon") from None
