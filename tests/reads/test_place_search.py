"""The copy title search counts in (``place_search``, PostgreSQL only) stays exact.

``places(search:)``'s ``totalCount`` is counted in ``place_search`` (migration 0011), which
triggers on ``places`` keep. After every kind of write — the app's (create, edit, move, delete),
SQL by hand (no folded title, a changed id), ``COPY`` (``load-perf-data``) and ``TRUNCATE`` —
the copy must hold exactly ``places``' id, district, type and folded title, and a search's total
on both read paths must be the number of rows it pages through.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from citygraph.demo.perfload import load_perf_data
from citygraph.domain import districts, places
from citygraph.domain.parsers import Id
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: SQLite has no copy (its search counts in ``places``)."""
    return str(request.param)


COPIED = "id, district_id, type, title_folded"
SEARCH = """query Search($search: String, $filter: PlaceFilter) {
  places(search: $search, filter: $filter, first: 100) { totalCount edges { node { id } } }
}"""


async def differences(services: Services) -> list[Any]:
    """Rows in one of ``places`` (its copied columns) and ``place_search`` but not the other."""
    async with services.engine.connect() as connection:
        result = await connection.execute(
            text(
                f"(SELECT {COPIED} FROM places EXCEPT ALL SELECT {COPIED} FROM place_search) "
                f"UNION ALL "
                f"(SELECT {COPIED} FROM place_search EXCEPT ALL SELECT {COPIED} FROM places)"
            )
        )
        return list(result.all())


async def run(services: Services, statement: str, **params: Any) -> None:
    async with services.engine.begin() as connection:
        await connection.execute(text(statement), params)


async def copy_version(services: Services, place_id: int) -> str:
    """The copy row's ``xmin``: it moves when the row is rewritten."""
    async with services.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT xmin::text FROM place_search WHERE id = :id"), {"id": place_id}
        )
        return str(found.scalar_one())


async def totals(
    executor: httpx.AsyncClient, compiling: httpx.AsyncClient, **variables: Any
) -> tuple[int, int]:
    """totalCount and the number of rows paged, the same on both read paths."""
    body = {"query": SEARCH, "variables": variables}
    executed = await executor.post("/graphql", json=body)
    await compiling.post("/graphql", json=body)  # teaches it the document
    compiled = await compiling.post("/graphql", json=body)
    assert compiled.content == executed.content
    page = executed.json()["data"]["places"]
    return page["totalCount"], len(page["edges"])


async def test_the_copy_follows_every_writer(
    services: Services, executor_client: httpx.AsyncClient, compiling_client: httpx.AsyncClient
) -> None:
    async def parks(**filters: Any) -> tuple[int, int]:
        return await totals(executor_client, compiling_client, search="ПАРК", **filters)

    async with unit_of_work(services, actor=SYSTEM) as uow:
        made = [
            await districts.create_district(uow, districts.DistrictForm.parse(title=title))
            for title in ("Центральный", "Северный")
        ]
        first, second = (Id(d.id) for d in made if d.id is not None)
        ids = []
        for title, kind in [("Парк Горького", "park"), ("Сквер", "park"), ("ПАРКИНГ", "museum")]:
            form = places.PlaceForm.parse(
                title=title, latitude="55.7", longitude="37.6", type=kind, district=first
            )
            place = await places.create_place(uow, form)
            assert place.id is not None
            ids.append(Id(place.id))
    gorky, square, parking = ids
    assert await differences(services) == []
    assert await parks() == (2, 2)

    untouched = await copy_version(services, gorky)
    async with unit_of_work(services, actor=SYSTEM) as uow:
        edit = places.PlaceForm.parse(partial=True, full_description="Длинное описание")
        await places.update_place(uow, gorky, edit)
    assert await copy_version(services, gorky) == untouched  # no copied column changed
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await places.update_place(uow, square, places.PlaceForm.parse(partial=True, title="парк"))
        moved = places.PlaceForm.parse(partial=True, district=second, type="monument")
        await places.update_place(uow, parking, moved)
        await places.delete_place(uow, gorky)
    assert await differences(services) == []
    assert await parks() == (2, 2)
    assert await parks(filter={"districtId": {"in": [second]}, "type": {"in": ["MONUMENT"]}}) == (
        1,
        1,
    )

    # by hand: the fold trigger fills title_folded, then the copy trigger copies it
    await run(
        services,
        "INSERT INTO places (title, short_description, full_description, longitude, latitude, "
        "type, district_id) VALUES ('Лесопарк', '', '', 37.6, 55.7, 'park', :d)",
        d=first,
    )
    await run(services, "UPDATE places SET id = id + 1000 WHERE id = :id", id=square)
    retitle = "UPDATE places SET title = 'Музей', title_folded = NULL WHERE id = :id"
    await run(services, retitle, id=parking)
    assert await differences(services) == []
    assert await parks() == (2, 2)
    await run(services, "DELETE FROM places WHERE title = 'Лесопарк'")
    assert await differences(services) == []
    assert await parks() == (1, 1)

    # COPY after TRUNCATE (load-perf-data --replace), then TRUNCATE alone
    await load_perf_data(services.engine, "small", replace=True)
    assert await differences(services) == []
    total, paged = await parks()
    assert total > 100 and paged == 100
    await run(services, "TRUNCATE places CASCADE")
    assert await differences(services) == []
    assert await parks() == (0, 0)
