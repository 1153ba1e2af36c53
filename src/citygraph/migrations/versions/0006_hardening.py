"""hardening: ids never reused on SQLite, a session version per user

Revision ID: 0006
Revises: 0009

- SQLite: ``users``, ``districts``, ``places`` and ``place_images`` are rebuilt with
  ``AUTOINCREMENT`` (alembic's batch copy: same columns, constraints, indexes and rows), so an id
  freed by a deletion is never given to a new row. A deleted account's tokens name its id; without
  this the next account registered would inherit them. PostgreSQL's sequences never reuse ids:
  nothing to do there.
- ``users.session_version`` (0): admin sessions carry it and are refused once it moves (logout,
  deactivation, password change).

The rebuild must not run with foreign keys enforced (dropping the old ``places`` would cascade to
``place_images``); the migration environment turns them off on SQLite and checks them afterwards,
and this migration refuses to run if they are on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Parents before children (the copy keeps every row's id).
TABLES = ("users", "districts", "places", "place_images")


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding SQLite tables needs PRAGMA foreign_keys=OFF")
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
    )
    _rebuild(autoincrement=True)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
    _rebuild(autoincrement=False)
