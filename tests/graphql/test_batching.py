"""DataLoaders keep the statement count bounded by the query's shape, not by the rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from citygraph.db import session_scope
from citygraph.models import District, Place, PlaceImage, PlaceType
from citygraph.services import Services
from tests.graphql.conftest import GQL
from tests.support.sql import recorded_statements

QUERY = (
    "{ districts { places(first: 100) { edges { node { images { id } district { title } } } } } }"
)
MAX_STATEMENTS = 5


async def seed_okrugs(services: Services, places_total: int) -> None:
    """12 districts, ``places_total`` places spread evenly, one image each."""
    async with session_scope(services.sessions) as session:
        districts = [District(title=f"Округ {i}", abbreviation=f"O{i}") for i in range(12)]
        session.add_all(districts)
        await session.flush()
        places = [
            Place(
                title=f"Место {n}",
                latitude=Decimal("55.7") + Decimal(n) / 100000,
                longitude=Decimal("37.6"),
                type=PlaceType.MUSEUM,
                district_id=districts[n % 12].id,  # type: ignore[arg-type]
            )
            for n in range(places_total)
        ]
        session.add_all(places)
        await session.flush()
        session.add_all([PlaceImage(image=f"places/{p.id}.png", place_id=p.id) for p in places])  # type: ignore[arg-type]


@pytest.mark.parametrize("places_total", [12, 1200])
async def test_nested_query_statement_count(
    gql: GQL,
    services: Services,
    backend: str,
    places_total: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await seed_okrugs(services, places_total)
    assert "errors" not in await gql("{ __typename districts { id } }")  # warm the pool
    with recorded_statements(services) as statements:
        result = await gql(QUERY)
    assert "errors" not in result
    districts = result["data"]["districts"]
    assert len(districts) == 12
    nodes = [edge["node"] for d in districts for edge in d["places"]["edges"]]
    assert len(nodes) == places_total
    assert all(len(node["images"]) == 1 for node in nodes)
    assert {node["district"]["title"] for node in nodes} == {f"Округ {i}" for i in range(12)}
    with capsys.disabled():
        print(f"\n[batching] {backend}: {places_total} places -> {len(statements)} SQL statements")
    assert len(statements) <= MAX_STATEMENTS, statements


async def test_total_counts_and_place_count_batch_too(gql: GQL, services: Services) -> None:
    await seed_okrugs(services, 24)
    await gql("{ __typename }")
    with recorded_statements(services) as statements:
        result = await gql(
            "{ districts { placeCount places(first: 1) { totalCount edges { node { id } } } } }"
        )
    assert [d["placeCount"] for d in result["data"]["districts"]] == [2] * 12
    assert [d["places"]["totalCount"] for d in result["data"]["districts"]] == [2] * 12
    assert len(statements) == 3  # districts, first places (window), counts (GROUP BY)
