"""The deployment files stay valid: docker-compose validates offline and refuses missing secrets;
the Asterisk configuration renders for the lines file with every number routed to Stasis."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from common.settings import Settings
from ivr.lines import load_lines
from telephony.runtime.config import render_configuration
from telephony.runtime.layout import AsteriskLayout

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "POSTGRES_PASSWORD": "p" * 24,
    "HOTLINE_ARI_PASSWORD": "a" * 24,
    "HOTLINE_AMI_PASSWORD": "m" * 24,
    "HOTLINE_CARRIER_ADDRESSES": '["192.0.2.10"]',
}


def _compose(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd="/",
    )


def test_compose_file_is_valid_with_its_secrets() -> None:
    result = _compose(SECRETS)
    assert result.returncode == 0, result.stderr
    for service in ("postgres:", "asterisk:", "platform:", "migrate:"):
        assert service in result.stdout
    assert "HOTLINE_VOSK_MODEL: /models/vosk-model-small-cn-0.22" in result.stdout  # a Chinese model, mounted


def test_compose_refuses_to_start_without_secrets() -> None:
    result = _compose({k: v for k, v in SECRETS.items() if k != "HOTLINE_ARI_PASSWORD"})
    assert result.returncode != 0
    assert "HOTLINE_ARI_PASSWORD" in result.stderr


def test_configuration_renders_every_line_and_keeps_interfaces_on_loopback(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20)  # type: ignore[call-arg]
    layout = AsteriskLayout(tmp_path, "unit")
    lines = load_lines()
    etc = render_configuration(settings, layout, lines)
    extensions = (etc / "extensions.conf").read_text()
    for line in lines.lines:
        assert f"exten => {line.number},1," in extensions
        assert "Stasis(hotline,incoming,${EXTEN})" in extensions
    assert 'STASISSTATUS}" = "FAILED"' in extensions
    assert "bindaddr = 127.0.0.1" in (etc / "http.conf").read_text()
    assert "bindaddr = 127.0.0.1" in (etc / "manager.conf").read_text()
    assert "a" * 20 in (etc / "ari.conf").read_text()
    assert (etc / "ari.conf").stat().st_mode & 0o777 == 0o640
    modules = (etc / "modules.conf").read_text()
    assert "autoload = no" in modules and "load = app_stasis.so" in modules
    assert "[intake]" in (etc / "queues.conf").read_text()


def test_agents_phones_are_rendered_with_digests_only(tmp_path: Path) -> None:
    from casebook.agents.services import sip_digests
    from telephony.runtime.config import PhoneAccount

    settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20)  # type: ignore[call-arg]
    md5, sha = sip_digests("1001", "the-generated-password")
    etc = render_configuration(
        settings, AsteriskLayout(tmp_path, "unit"), load_lines(), phones=[PhoneAccount("1001", md5, sha)]
    )
    pjsip = (etc / "pjsip.conf").read_text()
    assert "[1001]\ntype = endpoint" in pjsip and "context = hotline-agents" in pjsip
    assert f"password_digest = MD5:{md5}" in pjsip and f"password_digest = SHA-256:{sha}" in pjsip
    assert "the-generated-password" not in pjsip and "max_contacts = 1" in pjsip
    assert "[hotline-agents]" in (etc / "extensions.conf").read_text()
