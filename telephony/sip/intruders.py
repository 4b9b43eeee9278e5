"""Who is guessing SIP passwords: failures counted per address, blocks decided, and the ACL file.

Asterisk tells AMI (class `security`) of every failed SIP authentication, naming the remote
address (`IPV4/UDP/203.0.113.7/5060`). An address with `after` failures within `window_s`
seconds is blocked for `block_for_s` seconds: written as a `deny` line of a PJSIP ACL
(`type = acl`) in a file that pjsip.conf includes, so Asterisk answers its requests 403 before
any authentication. The file is also this module's memory across restarts: each line says until
when it holds.

Everything here is pure (the caller passes the time), so the counting, the window and the
expiry are tested without a clock or an Asterisk. Over UDP a source address can be forged:
whoever sends failures in another's name can get it blocked for a while. Addresses that must
never be blocked (the carrier's, an office's NAT address) are `exempt`.
"""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

ACL_FILE_NAME = "pjsip_intruders.conf"  # included by dialplans/pjsip.conf.j2 (#tryinclude)
ACL_SECTION = "hotline-intruders"

# Asterisk's security events that mean "this address failed to authenticate". ChallengeSent and
# SuccessfulAuth are the normal path of every registration and never count.
FAILURE_EVENTS = frozenset({"ChallengeResponseFailed", "InvalidPassword", "InvalidAccountID", "FailedACL"})
SIP_SERVICE = "PJSIP"  # AMI's own login failures are security events too, but not for a SIP ACL

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Block:
    address: str
    until: float  # seconds since the epoch (wall clock: it is written into the file)
    failures: int

    @property
    def until_iso(self) -> str:
        return datetime.fromtimestamp(self.until, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def remote_address(value: str) -> str | None:
    """`IPV4/UDP/127.0.0.5/5060` -> `127.0.0.5` (IPv6 too, bracketed or not); None when unreadable."""
    parts = value.split("/")
    if len(parts) < 4:
        return None
    return normal_address("/".join(parts[2:-1]).strip("[]"))


def normal_address(text: str) -> str | None:
    """One spelling per address (IPv4-mapped IPv6 as IPv4), or None if it is not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def failure_address(event: Mapping[str, object]) -> str | None:
    """The address an AMI security event blames, if it is a SIP authentication failure."""
    if str(event.get("Event", "")) not in FAILURE_EVENTS or str(event.get("Service", "")) != SIP_SERVICE:
        return None
    return remote_address(str(event.get("RemoteAddress", "")))


def exempt_networks(entries: Iterable[str]) -> tuple[list[Network], list[str]]:
    """Parse addresses and CIDR networks; return them and the entries that are neither (host names)."""
    networks: list[Network] = []
    unreadable: list[str] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            unreadable.append(entry)
    return networks, unreadable


class IntruderTracker:
    """Failures per address in a sliding window; blocks with an end.

    Memory is bounded: at most `max_tracked` addresses with recent failures (the stalest are
    forgotten first) and `max_blocked` blocks (beyond that nothing more is blocked: an ACL of
    thousands of lines, reloaded at every new one, would hurt Asterisk more than the guessing).
    """

    def __init__(
        self,
        *,
        after: int,
        window_s: float,
        block_for_s: float,
        exempt: Iterable[Network] = (),
        max_tracked: int = 10_000,
        max_blocked: int = 1_000,
    ) -> None:
        self.after = after
        self.window_s = window_s
        self.block_for_s = block_for_s
        self.exempt = list(exempt)
        self.max_tracked = max_tracked
        self.max_blocked = max_blocked
        self._failures: dict[str, deque[float]] = {}
        self._blocked: dict[str, Block] = {}
        self.refused_full = 0  # blocks not made because `max_blocked` were in force

    @property
    def enabled(self) -> bool:
        return self.after > 0

    def is_exempt(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip.version == net.version and ip in net for net in self.exempt)

    def is_blocked(self, address: str, now: float) -> bool:
        block = self._blocked.get(address)
        return block is not None and block.until > now

    @property
    def blocks(self) -> list[Block]:
        return sorted(self._blocked.values(), key=lambda b: (b.until, b.address))

    def failures(self, address: str, now: float) -> int:
        """Failures of this address within the window ending now."""
        times = self._failures.get(address)
        return 0 if times is None else sum(1 for t in times if t > now - self.window_s)

    def failure(self, address: str, now: float) -> Block | None:
        """Count one failure; the new block when this one makes `after` within the window."""
        if not self.enabled or self.is_exempt(address) or self.is_blocked(address, now):
            return None
        times = self._failures.get(address)
        if times is None:
            self._make_room(now)
            times = self._failures[address] = deque()
        times.append(now)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < self.after:
            return None
        if len(self._blocked) >= self.max_blocked:
            self.refused_full += 1
            return None
        block = Block(address, now + self.block_for_s, len(times))
        self._blocked[address] = block
        del self._failures[address]
        return block

    def expire(self, now: float) -> list[Block]:
        """Lift the blocks whose time is over; return them."""
        over = [b for b in self._blocked.values() if b.until <= now]
        for block in over:
            del self._blocked[block.address]
        return over

    def next_expiry(self) -> float | None:
        return min((b.until for b in self._blocked.values()), default=None)

    def unblock(self, address: str) -> Block | None:
        """Lift a block by hand (an administrator, a test)."""
        self._failures.pop(address, None)
        return self._blocked.pop(address, None)

    def restore(self, blocks: Iterable[Block], now: float) -> list[Block]:
        """Take back the blocks of a file written before a restart: those still running and not
        exempt (the exempt list may have grown meanwhile); return the ones taken."""
        kept = []
        for block in blocks:
            if block.until > now and not self.is_exempt(block.address) and len(self._blocked) < self.max_blocked:
                self._blocked[block.address] = block
                kept.append(block)
        return kept

    def _make_room(self, now: float) -> None:
        if len(self._failures) < self.max_tracked:
            return
        for address in [a for a, times in self._failures.items() if not times or times[-1] <= now - self.window_s]:
            del self._failures[address]
        while len(self._failures) >= self.max_tracked:
            stalest = min(self._failures, key=lambda a: self._failures[a][-1])
            del self._failures[stalest]


# --- the ACL file ---------------------------------------------------------------------------------
HEADER = (
    "; Rendered by the platform (telephony/sip/intruders.py), included by pjsip.conf: addresses\n"
    "; blocked after repeated SIP authentication failures, each until the time it says. Rewritten\n"
    "; at every block and expiry: do not edit (HOTLINE_SIP_BLOCK_EXEMPT keeps an address out).\n"
)
_DENY = re.compile(
    r"^deny\s*=\s*(?P<address>[0-9A-Fa-f:.]+)(?:/\d+)?\s*;\s*until=(?P<until>\S+)(?:\s+failures=(?P<n>\d+))?"
)


def render_acl(blocks: Iterable[Block]) -> str:
    """The file's text: only the header while nothing is blocked (an ACL without rules is none)."""
    lines = [HEADER]
    ordered = sorted(blocks, key=lambda b: (b.until, b.address))
    if ordered:
        lines.append(f"[{ACL_SECTION}]\ntype = acl\n")
        for block in ordered:
            prefix = 32 if ipaddress.ip_address(block.address).version == 4 else 128
            lines.append(f"deny = {block.address}/{prefix} ; until={block.until_iso} failures={block.failures}\n")
    return "".join(lines)


def read_acl(text: str) -> list[Block]:
    """The blocks of a file written by `render_acl`; lines it did not write are ignored."""
    blocks = []
    for line in text.splitlines():
        match = _DENY.match(line.strip())
        if match is None:
            continue
        address = normal_address(match["address"])
        try:
            until = datetime.fromisoformat(match["until"]).timestamp()
        except ValueError:
            continue
        if address is not None:
            blocks.append(Block(address, until, int(match["n"] or 0)))
    return blocks
