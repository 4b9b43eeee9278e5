"""The settings of each component, one frozen group each, built from `Settings` by the root
(common/settings.py): a component takes its group and cannot read what is not its business; a
test builds a group without the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr


class InsecureSettingsError(RuntimeError):
    """Raised when the platform would start outside development with a default or weak secret."""


class Group(BaseModel):
    """A component's settings: frozen, built from `Settings` by the root."""

    model_config = ConfigDict(frozen=True)


class AsteriskSettings(Group):
    """What Asterisk's instance is made of and how the platform reaches it (telephony/runtime,
    the ARI and AMI clients), including what its rendered configuration holds: the lines'
    queues' wait, the dialplan fallback's recording limits and the carrier's address."""

    instance: str
    mode: Literal["auto", "rootfs", "system"]
    rootfs: Path
    data_dir: Path
    timezone: str
    host: str
    sip_bind: str
    sip_port: int
    carrier_addresses: tuple[str, ...]
    carrier_uri: str | None
    ari_port: int
    ari_user: str
    ari_password: SecretStr | None
    ari_app: str
    ari_over_socket: bool
    ami_port: int
    ami_user: str
    ami_password: SecretStr | None
    rtp_port_start: int
    rtp_port_end: int
    queue_max_wait_s: int
    record_max_s: int
    record_silence_s: int
    record_conversations: bool = True  # MixMonitor on every caller handed to a queue

    @property
    def ari_url(self) -> str:
        return f"http://{self.host}:{self.ari_port}"

    def ari_secret(self) -> str:
        """The ARI password in clear, for Asterisk's configuration and the clients; raises if unset."""
        return _required(self.ari_password, "ari_password")

    def ami_secret(self) -> str:
        """The AMI password in clear, for Asterisk's configuration and the clients; raises if unset."""
        return _required(self.ami_password, "ami_password")


def _required(value: SecretStr | None, name: str) -> str:
    if value is None:
        raise InsecureSettingsError(f"HOTLINE_{name.upper()} is not set")
    return value.get_secret_value()


class SipGuardSettings(Group):
    """When a SIP password guesser is blocked (telephony/sip/guard.py); never the carrier."""

    block_after: int
    window_s: float
    block_for_s: float
    exempt: tuple[str, ...]  # the carrier's addresses and HOTLINE_SIP_BLOCK_EXEMPT


class CallbackSettings(Group):
    """The satisfaction callbacks (hotline/features/callbacks): when, how often, through which trunk."""

    enabled: bool
    carrier_uri: str | None
    hours: str
    timezone: str
    retry_delay_min: float
    max_attempts: int
    ring_timeout_s: int
    max_concurrent: int
    scan_interval_s: float
    answer_timeout_s: float  # the IVR's menu timeout: how long the citizen has to press 1 or 2
    queue_wait_s: int = 300  # a citizen called back into a queue waits as long as their line's callers
    recording_notice: bool = False  # conversations are recorded: the citizen called back is told


class SpeechSettings(Group):
    """The speech model and the live recognition of calls (asr, telephony/media)."""

    vosk_model: Path | None
    language: str | None
    live: bool
    max_live_streams: int
    keep_recognizers: int
    warm_at_start: int
    media_host: str
    media_port_start: int
    media_port_end: int


class IvrSettings(Group):
    """The phone menu's timings (ivr/flow.py)."""

    menu_timeout_s: float
    digit_timeout_s: float
    record_max_s: int
    record_silence_s: int
    recording_notice: bool = False  # callers told their call is recorded (conversations are)


class DeskSettings(Group):
    """The agent desk and the wallboard (hotline/features/desk, hotline/features/wallboard)."""

    wrapup_max_s: float
    softphone_ws_url: str
    sip_domain: str
    service_level_s: float


class CasebookSettings(Group):
    """The casebook's services (casebook/): its database, the center's time zone, and where the
    recorded messages and the reports are kept; how long a sign-in lasts and how many wrong
    passwords lock a user name."""

    database_url: str
    timezone: str
    recordings_dir: Path
    attachments_dir: Path
    reports_dir: Path
    session_idle_minutes: float = 30
    session_max_hours: float = 12
    sign_in_lock_after: int = 10
    sign_in_lockout_minutes: float = 30
    conversation_retention_days: int = 180
    ldap_url: str = ""
    ldap_base_dn: str = ""
    ldap_user_filter: str = "(uid={username})"
    ldap_bind_dn: str = ""
    ldap_bind_password: str = ""


class NotifySettings(Group):
    """Notifications out of the platform (casebook/notifications/): e-mail through the county's
    mail server for the units that ask for it (off while `smtp_host` is empty), with links to the
    case pages at `public_url`."""

    smtp_host: str
    smtp_port: int
    smtp_sender: str
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    public_url: str
