"""read graph: title search index, change notifications

Revision ID: 0002
Revises: 0001

- ``ix_places_title_search``: on PostgreSQL a GIN trigram index (``pg_trgm``) that serves the
  case-insensitive title search (a regular expression of case classes, ``places.search_pattern``)
  at any size; on SQLite a plain index on the title.
- On PostgreSQL, ``citygraph_notify_change``: a statement trigger on districts, places and
  place images that sends ``NOTIFY citygraph_changes`` at commit, whoever writes, so every
  process can tell its cached responses are stale (``citygraph.changes``).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("districts", "places", "place_images")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_places_title_search",
            "places",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        )
        op.execute(
            """
            CREATE FUNCTION citygraph_notify_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('citygraph_changes', TG_TABLE_NAME);
                RETURN NULL;
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION citygraph_notify_change()"
            )
    else:
        op.create_index("ix_places_title_search", "places", ["title"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS citygraph_notify_change()")
    op.drop_index("ix_places_title_search", table_name="places")
