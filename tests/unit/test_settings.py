"""Settings: environment variables, generated development secrets, refusal of default secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from common.settings import InsecureSettingsError, Settings, ensure_development_credentials


def test_values_come_from_hotline_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_SIP_PORT", "5999")
    monkeypatch.setenv("HOTLINE_CARRIER_ADDRESSES", '["10.1.2.3", "10.1.2.4"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.sip_port == 5999
    assert settings.carrier_addresses == ["10.1.2.3", "10.1.2.4"]
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)


def test_development_generates_strong_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    first = ensure_development_credentials(settings)
    second = ensure_development_credentials(settings)
    assert len(first.secret("ari_password")) >= 24
    assert first.secret("ari_password") == second.secret("ari_password")
    assert first.secret("ami_password") != first.secret("ari_password")
    credentials = tmp_path / "credentials.env"
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert "HOTLINE_ARI_PASSWORD=" in credentials.read_text()


@pytest.mark.parametrize("password", [None, "changeme", "asterisk", "short-secret"])
def test_production_refuses_default_or_weak_secrets(password: str | None) -> None:
    with pytest.raises(InsecureSettingsError, match="HOTLINE_ARI_PASSWORD"):
        Settings(
            _env_file=None,
            environment="production",
            ari_password=password,  # type: ignore[call-arg]
            ami_password="a-long-enough-secret-value",
        )


def test_production_starts_with_strong_secrets() -> None:
    settings = Settings(
        _env_file=None,
        environment="production",  # type: ignore[call-arg]
        ari_password="x" * 20 + "Q1",
        ami_password="y" * 20 + "Z9",
    )
    assert settings.environment == "production"


def test_embedded_mode_uses_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve()}/hotline.db"


def test_the_command_refuses_production_without_secrets_in_one_line(tmp_path: Path) -> None:
    """An operator starting production with a secret missing reads why, not a traceback."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["HOTLINE_ENVIRONMENT"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", "hotline", "serve", "--no-telephony"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "refusing to start in production" in done.stderr and "HOTLINE_ARI_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_each_component_gets_its_group_from_the_same_hotline_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HOTLINE_ASTERISK_HOST": "10.0.0.5",
        "HOTLINE_ARI_PASSWORD": "an-ari-password-long-enough",
        "HOTLINE_SIP_BLOCK_AFTER": "7",
        "HOTLINE_CARRIER_ADDRESSES": '["192.0.2.1"]',
        "HOTLINE_SIP_BLOCK_EXEMPT": '["10.1.0.0/16"]',
        "HOTLINE_CALLBACK_HOURS": "08:00-21:00",
        "HOTLINE_MENU_TIMEOUT_S": "9",
        "HOTLINE_ASR_MAX_LIVE_STREAMS": "6",
        "HOTLINE_DESK_WRAPUP_MAX_S": "60",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    asterisk = settings.asterisk
    assert asterisk.host == "10.0.0.5" and asterisk.ari_url == "http://10.0.0.5:8088"
    assert asterisk.ari_secret() == "an-ari-password-long-enough"
    assert settings.sip_guard.block_after == 7 and settings.sip_guard.exempt == ("192.0.2.1", "10.1.0.0/16")
    assert settings.callbacks.hours == "08:00-21:00" and settings.callbacks.answer_timeout_s == 9
    assert settings.ivr.menu_timeout_s == 9 and settings.speech.max_live_streams == 6
    assert settings.desk.wrapup_max_s == 60 and settings.desk.softphone_ws_url == "ws://10.0.0.5:8088/ws"
    # a group is read-only, and a secret it lacks is said by its HOTLINE_ name when asked for
    with pytest.raises(ValidationError):
        asterisk.host = "elsewhere"  # type: ignore[misc]
    with pytest.raises(InsecureSettingsError, match="HOTLINE_AMI_PASSWORD is not set"):
        asterisk.ami_secret()
    assert "an-ari-password" not in repr(asterisk)  # secrets stay hidden in logs and tracebacks
