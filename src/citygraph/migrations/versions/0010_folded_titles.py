"""folded titles: title search by ``LIKE`` on a stored, case-folded title

Revision ID: 0010
Revises: 0006

- ``places.title_folded``: ``textfold.fold(title)``, filled here for the existing rows with the
  Python rule (in batches of ``BATCH`` rows), then ``NOT NULL``; the models keep it right from
  then on. Search folds its term alike and matches with ``LIKE`` (``domain.filters``).
- On PostgreSQL ``ix_places_title_folded``, a GIN trigram index on it, serves that ``LIKE``; it
  replaces ``ix_places_title_search`` (trigrams of the raw title, which served the case-class
  regular expressions search used before, and nothing else). On SQLite the plain index on the
  title (0002) goes as well: no search used it.

On PostgreSQL a trigger folds titles that arrive without the app (a load script that lists the
original columns, SQL run by hand): a row written with ``title_folded`` NULL gets
``lower(normalize(title))``, the database's fold, which matches Python's except where folding
changes a letter's length (``ß``). An UPDATE by hand that changes a title sets ``title_folded``
to NULL to have it folded again (the trigger cannot tell such an update from the app's).

SQLite makes the column ``NOT NULL`` by alembic's batch copy of ``places``, keeping
``AUTOINCREMENT`` (0006).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from citygraph.textfold import fold

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000
PLACES = sa.table("places", sa.column("id", sa.Integer), sa.column("title", sa.String))
FOLDED = sa.table("places", sa.column("id", sa.Integer), sa.column("title_folded", sa.Text))


def _backfill(bind: sa.Connection) -> None:
    """Fold every existing title in Python (the database's ``lower`` depends on its locale)."""
    last = 0
    update = (
        FOLDED.update()
        .where(FOLDED.c.id == sa.bindparam("pk"))
        .values(title_folded=sa.bindparam("folded"))
    )
    while True:
        rows = bind.execute(
            sa.select(PLACES.c.id, PLACES.c.title)
            .where(PLACES.c.id > last)
            .order_by(PLACES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(update, [{"pk": pk, "folded": fold(title)} for pk, title in rows])
        last = rows[-1][0]


FOLD_FUNCTION = """
CREATE FUNCTION citygraph_fold_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title_folded IS NULL THEN
        NEW.title_folded := lower(normalize(NEW.title, NFC));
    END IF;
    RETURN NEW;
END $$
"""
FOLD_TRIGGER = (
    "CREATE TRIGGER places_fold_title BEFORE INSERT OR UPDATE ON places "
    "FOR EACH ROW EXECUTE FUNCTION citygraph_fold_title()"
)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("places", sa.Column("title_folded", sa.Text(), nullable=True))
    _backfill(bind)
    op.drop_index("ix_places_title_search", table_name="places")
    if bind.dialect.name == "postgresql":
        op.alter_column("places", "title_folded", existing_type=sa.Text(), nullable=False)
        op.execute(
            "CREATE INDEX ix_places_title_folded ON places USING gin (title_folded gin_trgm_ops)"
        )
        op.execute(FOLD_FUNCTION)
        op.execute(FOLD_TRIGGER)
        op.execute("ANALYZE places")
    else:
        with op.batch_alter_table("places", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("title_folded", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER places_fold_title ON places")
        op.execute("DROP FUNCTION citygraph_fold_title()")
        op.drop_index("ix_places_title_folded", table_name="places")
        op.drop_column("places", "title_folded")
        op.create_index(
            "ix_places_title_search",
            "places",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        )
    else:
        with op.batch_alter_table("places", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("title_folded")
        op.create_index("ix_places_title_search", "places", ["title"])
