"""Public queries: districts, places (pages, filters, search), place, placesNear."""

from __future__ import annotations

from typing import Any

from citygraph.db import session_scope
from citygraph.domain import places
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import District
from citygraph.services import Services
from tests.graphql.conftest import GQL, seed

PLACE_FIELDS = """
  id title shortDescription fullDescription latitude longitude type
  district { id title } images { id image place { id } }
"""


async def test_districts_with_places_images_and_counts(gql: GQL, services: Services) -> None:
    seeded = await seed(services, districts=2, places_per_district=3)
    async with session_scope(services.sessions) as session:
        district = await session.get(District, seeded.district_ids[0])
        assert district is not None
        district.image = "districts/cao.png"
    result = await gql(
        "{ districts { id title abbreviation image placeCount"
        f" places(first: 2) {{ totalCount edges {{ cursor node {{ {PLACE_FIELDS} }} }}"
        " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"
    )
    assert "errors" not in result
    first, second = result["data"]["districts"]
    assert (first["id"], first["title"], first["abbreviation"]) == (
        seeded.district_ids[0],
        "District 0",
        "D0",
    )
    assert first["image"] == "http://testserver/media/districts/cao.png"
    assert second["image"] is None
    assert first["placeCount"] == 3
    connection = first["places"]
    assert connection["totalCount"] == 3
    assert connection["pageInfo"]["hasNextPage"] is True
    assert connection["pageInfo"]["hasPreviousPage"] is False
    assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
    node = connection["edges"][0]["node"]
    assert node == {
        "id": seeded.place_ids[0],
        "title": "Place 0-0",
        "shortDescription": "short",
        "fullDescription": "full",
        "latitude": "55.750000",
        "longitude": "37.610000",
        "type": "PARK",
        "district": {"id": seeded.district_ids[0], "title": "District 0"},
        "images": [
            {
                "id": node["images"][0]["id"],
                "image": f"http://testserver/media/places/seed-{seeded.place_ids[0]}-0.png",
                "place": {"id": seeded.place_ids[0]},
            }
        ],
    }
    after = connection["pageInfo"]["endCursor"]
    rest = await gql(
        "query($id: Int!, $after: String) { district(id: $id) { places(after: $after) {"
        " edges { node { title } } pageInfo { hasNextPage hasPreviousPage } } } }",
        {"id": seeded.district_ids[0], "after": after},
    )
    places = rest["data"]["district"]["places"]
    assert [e["node"]["title"] for e in places["edges"]] == ["Place 0-2"]
    assert places["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_places_filters_search_and_pages(gql: GQL, services: Services) -> None:
    seeded = await seed(
        services, districts=2, places_per_district=2, titles=["Центральный", "Северный"]
    )
    query = """
      query($d: Int, $t: PlaceType, $s: String, $first: Int!, $after: String) {
        places(districtId: $d, type: $t, search: $s, first: $first, after: $after) {
          totalCount edges { node { id title } } pageInfo { hasNextPage endCursor }
        }
      }
    """

    async def run(**variables: Any) -> dict[str, Any]:
        result = await gql(query, {"first": 20, **variables})
        assert "errors" not in result, result
        places: dict[str, Any] = result["data"]["places"]
        return places

    everything = await run()
    assert everything["totalCount"] == 4
    assert [e["node"]["id"] for e in everything["edges"]] == seeded.place_ids
    assert (await run(d=seeded.district_ids[1]))["totalCount"] == 2
    assert (await run(t="MUSEUM"))["totalCount"] == 0
    assert [e["node"]["title"] for e in (await run(s="place 1-"))["edges"]] == [
        "Place 1-0",
        "Place 1-1",
    ]
    page = await run(first=3)
    assert page["pageInfo"]["hasNextPage"] is True
    tail = await run(first=3, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in tail["edges"]] == seeded.place_ids[3:]


async def test_cyrillic_search_through_graphql(gql: GQL, services: Services) -> None:
    await seed(services, districts=1, places_per_district=0)
    district_id = (await gql("{ districts { id } }"))["data"]["districts"][0]["id"]
    async with unit_of_work(services, actor=SYSTEM) as uow:
        for title in ("Центральный детский магазин", "Парк «Зарядье»"):
            form = places.PlaceForm.parse(
                title=title, latitude="55.76", longitude="37.62", district=district_id
            )
            await places.create_place(uow, form)
    result = await gql('{ places(search: "центр") { edges { node { title } } } }')
    assert [e["node"]["title"] for e in result["data"]["places"]["edges"]] == [
        "Центральный детский магазин"
    ]


async def test_page_size_over_100_is_an_error_not_clamped(gql: GQL, services: Services) -> None:
    await seed(services, districts=1, places_per_district=1)
    for query in (
        "{ places(first: 101) { totalCount } }",
        "{ districts { places(first: 101) { totalCount } } }",
    ):
        result = await gql(query)
        assert result["data"] is None or result["data"]["districts"] is None, result
        (error,) = result["errors"]
        assert error["message"] == "first: Ensure this value is less than or equal to 100."
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "fields": {"first": ["Ensure this value is less than or equal to 100."]},
            "fieldCodes": {"first": ["max_value"]},
        }
    assert (await gql("{ places(first: 100) { totalCount } }"))["data"]["places"]["totalCount"] == 1


async def test_single_objects_and_null_for_unknown_ids(gql: GQL, services: Services) -> None:
    seeded = await seed(services, districts=1, places_per_district=1)
    result = await gql(
        "query($p: Int!, $d: Int!) { place(id: $p) { title district { title } }"
        " district(id: $d) { title } missing: place(id: 2147483647) { id }"
        " huge: district(id: -5) { id } }",
        {"p": seeded.place_ids[0], "d": seeded.district_ids[0]},
    )
    assert result == {
        "data": {
            "place": {"title": "Place 0-0", "district": {"title": "District 0"}},
            "district": {"title": "District 0"},
            "missing": None,
            "huge": None,
        }
    }


async def test_places_near(gql: GQL, services: Services) -> None:
    await seed(services, districts=1, places_per_district=3)
    result = await gql(
        '{ placesNear(latitude: "55.750000", longitude: 37.61, radiusMeters: 150, first: 5)'
        " { distanceMeters place { title latitude } } }"
    )
    near = result["data"]["placesNear"]
    assert [(n["place"]["title"], round(n["distanceMeters"])) for n in near] == [
        ("Place 0-0", 0),
        ("Place 0-1", 111),
    ]
    bad = await gql(
        '{ placesNear(latitude: "95", longitude: "0", radiusMeters: 1e9) { distanceMeters } }'
    )
    assert bad["errors"][0]["message"] == "latitude: Ensure this value is less than or equal to 90."
    assert bad["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "latitude": ["Ensure this value is less than or equal to 90."],
            "radiusMeters": ["Ensure this value is less than or equal to 100000."],
        },
        "fieldCodes": {"latitude": ["max_value"], "radiusMeters": ["max_value"]},
    }
