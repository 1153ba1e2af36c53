"""Every place filter and ordering is served by an index on PostgreSQL at 120,000 places.

A fresh database gets 120,000 places (the performance rig's size) and statistics; then the
statements the lists run — the page and the total, as ``domain.listing`` writes them for both
read paths — are planned with ``EXPLAIN`` and the plan must reach ``places`` through an index,
never a sequential scan. ``not`` is the exception by nature (the complement of an index range is
the table), as is ordering by distance from a point without ``near``/``within`` to bound it.
The first page, the next one (keyset bounds from a cursor) and the total are planned; each
plan's access paths are printed (``-s``) for the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from citygraph import migrate
from citygraph.domain.places import PlaceQuery
from citygraph.jsonsql import Sql
from tests.support.pg import PostgresDatabase, provision_postgres

pytestmark = pytest.mark.postgres

PLACES = 120_000
SEED = f"""
SELECT setseed(0.42);
INSERT INTO districts (title, abbreviation)
SELECT 'Округ ' || n, 'АО' || n FROM generate_series(1, 12) AS n;
-- the titles are Cyrillic words, hex digits and numbers: ICU's lower() folds them as
-- textfold.fold does
INSERT INTO places (title, title_folded, short_description, full_description, latitude,
                    longitude, type, district_id)
SELECT title, lower(title COLLATE "und-x-icu"), '', '',
       round((55.5 + random() * 0.45)::numeric, 6), round((37.3 + random() * 0.6)::numeric, 6),
       (ARRAY['unique_place', 'park', 'museum', 'temple', 'monument'])[1 + n % 5],
       1 + n % 12
FROM (SELECT n,
             (ARRAY['Парк', 'Музей', 'Храм', 'Сквер', 'Усадьба', 'Театр', 'Дом', 'Мост'])[1 + n % 8]
             || ' ' || md5(n::text)::varchar(6) || ' ' || n AS title
      FROM generate_series(1, {PLACES}) AS n) AS generated;
INSERT INTO place_images (image, place_id)
SELECT 'places/' || n || '.jpg', n FROM generate_series(1, {PLACES}, 50) AS n;
"""

MOSCOW_BOX = {
    "min_latitude": "55.70",
    "max_latitude": "55.72",
    "min_longitude": "37.60",
    "max_longitude": "37.62",
}
NEAR = {"latitude": "55.75", "longitude": "37.62", "radius_meters": 500}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("title contains", {"filter": {"title": {"contains": "усадьба 1a"}}}),
    ("title starts with", {"filter": {"title": {"starts_with": "мост f"}}}),
    ("search", {"search": "ТЕАТР 9"}),
    (
        "search, type and district",
        {"search": "парк", "filter": {"type": {"in": ["park"]}, "district_id": {"in": [5]}}},
    ),
    ("title and near", {"filter": {"title": {"contains": "сквер"}, "near": NEAR}}),
    ("type in", {"filter": {"type": {"in": ["temple"]}}}),
    ("district in", {"filter": {"district_id": {"in": [3, 7]}}}),
    ("has images", {"filter": {"has_images": True}}),
    ("within", {"filter": {"within": MOSCOW_BOX}}),
    ("near", {"filter": {"near": NEAR}}),
    ("or", {"filter": {"or": [{"title": {"contains": "сквер a"}}, {"within": MOSCOW_BOX}]}}),
    ("order by title", {"order_by": [{"field": "title"}]}),
    ("order by title desc", {"order_by": [{"field": "title", "direction": "desc"}]}),
    ("order by district", {"order_by": [{"field": "district"}, {"field": "id"}]}),
    (
        "near, by distance",
        {
            "filter": {"near": NEAR},
            "order_by": [
                {"field": "distance", "origin": {"latitude": "55.75", "longitude": "37.62"}}
            ],
        },
    ),
]

#: The totals counted in ``place_search``, the narrow copy of places (migration 0011).
COUNTED_IN_COPY = {"title contains", "title starts with", "search", "search, type and district"}


@pytest.fixture(scope="module")
def big_database() -> Iterator[str]:
    database: PostgresDatabase | None = provision_postgres(fresh=True)
    if database is None:
        pytest.fail("PostgreSQL is not reachable")
    try:
        migrate.upgrade(database.url)
        yield database.url.replace("+asyncpg", "")
    finally:
        database.drop()


def _scans(plan: dict[str, Any]) -> list[str]:
    """The plan's ways into tables and indexes (``Index Scan using ix on places``...)."""
    found = []
    if "Relation Name" in plan or "Index Name" in plan:
        index = f" using {plan['Index Name']}" if "Index Name" in plan else ""
        relation = f" on {plan['Relation Name']}" if "Relation Name" in plan else ""
        found.append(f"{plan['Node Type']}{index}{relation}")
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


async def _explain(connection: asyncpg.Connection, sql: Sql, statement: str) -> list[str]:
    raw = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *sql.params)
    return _scans(json.loads(raw)[0]["Plan"])


async def _seeded(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url)
    if await connection.fetchval("SELECT count(*) FROM places") == 0:
        await connection.execute(SEED)
        await connection.execute("VACUUM ANALYZE")  # as autovacuum would have by now
    return connection


@pytest.mark.parametrize(("name", "raw"), CASES, ids=[name for name, _ in CASES])
async def test_filters_and_orders_use_indexes(
    big_database: str, name: str, raw: dict[str, Any]
) -> None:
    connection = await _seeded(big_database)
    try:
        listing = PlaceQuery.parse(**raw, first=20).listing()
        sql = Sql("postgresql")
        page = await _explain(connection, sql, listing.rows_sql(sql, "p", 21))
        sql = Sql("postgresql")
        total = await _explain(connection, sql, f"SELECT {listing.count_sql(sql)}")
        sql = Sql("postgresql")
        cursors = listing.rows_sql(sql, "p", 20, listing.cursor(sql, "p"))
        last = (await connection.fetch(cursors, *sql.params))[-1][0]
        following = PlaceQuery.parse(**raw, first=20, after=last).listing()
        sql = Sql("postgresql")
        second = await _explain(connection, sql, following.rows_sql(sql, "p", 21))
    finally:
        await connection.close()
    print(f"[plans] {name}: page {page}; next page {second}; total {total}")
    # an unfiltered total counts the whole table: a scan of it is the plan
    checked = [page, second, total] if "filter" in raw or "search" in raw else [page, second]
    for scans in checked:
        assert scans, name
        assert not [scan for scan in scans if scan.startswith("Seq Scan on places")], (name, scans)
    assert (listing.count_table is not None) == (name in COUNTED_IN_COPY), name
    if listing.count_table is not None:  # a title search's total: the narrow copy's index
        assert "Bitmap Index Scan using ix_place_search_title_folded" in total, (name, total)
        assert not [scan for scan in total if scan.endswith(" on places")], (name, total)
