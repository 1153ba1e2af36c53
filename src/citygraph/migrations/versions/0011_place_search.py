"""place search: a narrow copy of places' searchable columns, where title search counts

Revision ID: 0011
Revises: 0010

PostgreSQL only. ``places(search:)``'s ``totalCount`` reads every matching row to recheck the
trigram index's candidates; ``places`` rows carry their descriptions inline (about 800 bytes
a row), so a common word's count reads most of the table (7,000 of 12,000 pages at 120,000
places). ``place_search`` holds only ``id``, ``district_id``, ``type`` and ``title_folded``
(about 1,650 pages) with its own GIN trigram index: ``domain.listing`` counts there when a
filter needs only those columns (``filters.counts_in_search_table``). Lowering ``places``'
``toast_tuple_target`` instead does nothing here: PostgreSQL toasts only rows over 2 kB.

Statement-level triggers with transition tables keep it exact whoever writes ``places`` (the
ORM, Core, ``COPY``, SQL by hand, ``TRUNCATE``), in the writing transaction, with one
statement per write statement rather than per row (``load-perf-data`` copies 10,000 rows a
statement). An update rewrites a copy only when one of its columns changed, so description
edits leave no dead rows behind. SQLite has no copy: its search scans ``places`` as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = """
CREATE TABLE place_search (
    id integer NOT NULL,
    district_id integer NOT NULL,
    type varchar(32) NOT NULL,
    title_folded text NOT NULL,
    CONSTRAINT pk_place_search PRIMARY KEY (id)
)
"""
INDEX = (
    "CREATE INDEX ix_place_search_title_folded ON place_search "
    "USING gin (title_folded gin_trgm_ops)"
)
BACKFILL = (
    "INSERT INTO place_search (id, district_id, type, title_folded) "
    "SELECT id, district_id, type, title_folded FROM places ORDER BY id"
)
COPY_FUNCTION = """
CREATE FUNCTION citygraph_place_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO place_search (id, district_id, type, title_folded)
        SELECT n.id, n.district_id, n.type, n.title_folded FROM new_places AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM place_search AS s USING old_places AS o
        WHERE s.id = o.id AND NOT EXISTS (SELECT FROM new_places AS n WHERE n.id = o.id);
        INSERT INTO place_search AS s (id, district_id, type, title_folded)
        SELECT n.id, n.district_id, n.type, n.title_folded FROM new_places AS n
        ON CONFLICT (id) DO UPDATE
        SET district_id = EXCLUDED.district_id, type = EXCLUDED.type,
            title_folded = EXCLUDED.title_folded
        WHERE (s.district_id, s.type, s.title_folded)
              IS DISTINCT FROM (EXCLUDED.district_id, EXCLUDED.type, EXCLUDED.title_folded);
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM place_search AS s USING old_places AS o WHERE s.id = o.id;
    ELSE
        TRUNCATE place_search;
    END IF;
    RETURN NULL;
END $$
"""
TRIGGERS = {
    "places_search_insert": "AFTER INSERT ON places REFERENCING NEW TABLE AS new_places",
    "places_search_update": (
        "AFTER UPDATE ON places REFERENCING OLD TABLE AS old_places NEW TABLE AS new_places"
    ),
    "places_search_delete": "AFTER DELETE ON places REFERENCING OLD TABLE AS old_places",
    "places_search_truncate": "AFTER TRUNCATE ON places",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # no write may land between the copy and the triggers (they lock this much anyway)
    op.execute("LOCK TABLE places IN SHARE ROW EXCLUSIVE MODE")
    op.execute(TABLE)
    op.execute(BACKFILL)
    op.execute(INDEX)
    op.execute(COPY_FUNCTION)
    for name, event in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH STATEMENT "
            "EXECUTE FUNCTION citygraph_place_search()"
        )
    op.execute("ANALYZE place_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON places")
    op.execute("DROP FUNCTION citygraph_place_search()")
    op.execute("DROP TABLE place_search")
