"""What counts as a usable secret, and the development credentials file.

Kept apart from `common/settings.py` (which reads them) so that the policy is read in one place:
outside development a secret must be set, at least `MIN_SECRET_LENGTH` characters, and none of
the placeholders people leave in example files.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "changethis", "secret", "password", "asterisk", "admin", "hotline"}
)
MIN_SECRET_LENGTH = 16
SECRET_FIELDS = ("ari_password", "ami_password")  # required everywhere
DEV_SECRET_FIELDS = ("admin_token", "open311_api_key")  # generated in development, optional elsewhere
CREDENTIALS_FILE = "credentials.env"


def _is_strong(value: SecretStr | None) -> bool:
    if value is None:
        return False
    clear = value.get_secret_value()
    return clear.lower() not in PLACEHOLDER_SECRETS and len(clear) >= MIN_SECRET_LENGTH


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs
