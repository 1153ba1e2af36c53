"""list orders: the indexes behind places' filters and orderings

Revision ID: 0005
Revises: 0002

- ``ix_places_type_id`` ``(type, id)``: ``type: {in: ...}`` and its pages by id.
- ``ix_places_district_id_id`` ``(district_id, id)`` replaces ``ix_places_district_id``: a
  district's places by id, ``districtId: {in: ...}``, ordering by district (and the foreign
  key's lookups, as before).
- On PostgreSQL, ``ix_places_title_ru`` ``(title COLLATE "ru-x-icu", id)``: ordering by title
  in Russian collation, and its keyset pages, walk the index. (SQLite sorts by a Python
  function, ``cg_ru_key``, which an index may not use: a connection without it could not read
  the file.)
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_places_type_id", "places", ["type", "id"])
    op.create_index("ix_places_district_id_id", "places", ["district_id", "id"])
    op.drop_index("ix_places_district_id", table_name="places")
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_places_title_ru ON places (title COLLATE "ru-x-icu", id)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_places_title_ru", table_name="places")
    op.create_index("ix_places_district_id", "places", ["district_id"])
    op.drop_index("ix_places_district_id_id", table_name="places")
    op.drop_index("ix_places_type_id", table_name="places")
