"""persisted queries: the documents clients registered by hash

Revision ID: 0008
Revises: 0007

``persisted_queries (sha256, document, created_at)``: Apollo's automatic persisted queries,
shared by every worker and machine; ``created_at`` is indexed because the oldest rows go first
when the table is full (``citygraph.domain.documents``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citygraph.sqltypes

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persisted_queries",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", citygraph.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_persisted_queries"),
    )
    op.create_index("ix_persisted_queries_created_at", "persisted_queries", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_persisted_queries_created_at", table_name="persisted_queries")
    op.drop_table("persisted_queries")
