"""Access that can be taken back, and an audit log (issue 16).

- `users`: a user name is unique whatever the case of its letters (`ix_users_username_lower`, on
  `lower(username)`; the security trial created `ADMIN` beside `admin`). Names already taken in
  two cases keep the oldest; the later ones are renamed `<name>.dup<id>` and disabled (an
  administrator renames them back by hand, and no two people sign in as each other).
  `last_sign_in_at`: the users page shows it.
- `access_tokens.session_until`: the sign-in's own end (a refreshed token lasts at most until
  then); `sign_in`: the sign-in a token belongs to (its refreshed tokens and tickets share it,
  and signing out ends them all). Tokens that never ended (the bootstrap administrator's) now end in a day: its next
  start sets it again.
- `api_keys.revoked_at`, `created_by`: a revoked key stays listed.
- `sign_in_failures`: wrong passwords per user name and per address (casebook/auth/throttle.py).
- `audit_entries`: append-only, as the event logs are (the same trigger function of 0009 on
  PostgreSQL; SQLite's own triggers).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PG_TRIGGERS = {  # name: when
    "audit_entries_append_only": "BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW",
    "audit_entries_no_truncate": "BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT",
}
SQLITE_ACTIONS = ("UPDATE", "DELETE")


def _rename_duplicate_names() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, username FROM users ORDER BY id")).all()
    seen: set[str] = set()
    for user_id, name in rows:
        if name.lower() in seen:
            bind.execute(
                sa.text("UPDATE users SET username = :new, active = :no WHERE id = :id"),
                {"new": f"{name}.dup{user_id}"[:64], "no": False, "id": user_id},
            )
        seen.add(name.lower())


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _rename_duplicate_names()
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    with op.batch_alter_table("access_tokens") as batch:
        batch.add_column(sa.Column("session_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sign_in", sa.String(64), nullable=True))
    op.create_index("ix_access_tokens_sign_in", "access_tokens", ["sign_in"])
    op.get_bind().execute(
        sa.text("UPDATE access_tokens SET expires_at = :end WHERE expires_at IS NULL"),
        {"end": datetime.now(UTC) + timedelta(days=1)},
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(64), nullable=True))
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("role", sa.String(24), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(120), nullable=False, index=True),
        sa.Column("target", sa.String(200), nullable=True, index=True),
        sa.Column("outcome", sa.Integer, nullable=False),
        sa.Column("asked", sa.JSON, nullable=True),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    if dialect == "postgresql":
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION event_log_append_only()")
    elif dialect == "sqlite":
        for action in SQLITE_ACTIONS:
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_entries_no_{action.lower()} BEFORE {action} ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_entries")  # its triggers go with it
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("created_by")
        batch.drop_column("revoked_at")
    op.drop_index("ix_access_tokens_sign_in", table_name="access_tokens")
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_column("sign_in")
        batch.drop_column("session_until")
    op.drop_index("ix_users_username_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_sign_in_at")
