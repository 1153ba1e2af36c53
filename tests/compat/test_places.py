"""``GET /api/v1/disticts/`` and ``GET /api/v1/places/?district_id=``: exact bytes."""

from __future__ import annotations

from decimal import Decimal

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlmodel import col

from citygraph.models import District, Place
from tests.compat.conftest import World


def districts_body(world: World, base: str = "http://testserver") -> bytes:
    return (
        '[{"id":1,"title":"Центральный","abbreviation":"ЦАО",'
        f'"image":"{base}/media/{world.district_image}"}},'
        '{"id":2,"title":"Северный","abbreviation":"САО","image":null},'
        '{"id":3,"title":"Plain \\"quoted\\" <b>&</b> \\\\ title","abbreviation":"","image":null}]'
    ).encode()


def places_body(world: World, base: str = "http://testserver") -> bytes:
    first, second = world.place_images
    return (
        f'[{{"id":1,"images":[{{"id":1,"image":"{base}/media/{first}","place":1}},'
        f'{{"id":2,"image":"{base}/media/{second}","place":1}}],'
        '"title":"Красная площадь","short_description":"Главная площадь",'
        '"full_description":"Описание\\nс переводом строки и \\"кавычками\\"",'
        '"longitude":"37.620795","latitude":"55.753930","type":"unique_place","district":1},'
        '{"id":2,"images":[],"title":"Парк Горького","short_description":"",'
        '"full_description":"","longitude":"-0.500000","latitude":"0.000000","type":"park",'
        '"district":1}]'
    ).encode()


MUSEUM = (
    b'[{"id":3,"images":[],"title":"Museum","short_description":"s","full_description":"f",'
    b'"longitude":"1.000001","latitude":"2.000000","type":"museum","district":2}]'
)


async def test_district_list_exact_bytes(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/disticts/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.content == districts_body(world)


async def test_image_urls_follow_the_request_host(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/disticts/", headers={"Host": "example.com:8080"})
    assert response.content == districts_body(world, "http://example.com:8080")
    ipv6 = await client.get("/api/v1/places/?district_id=1", headers={"Host": "[::1]:8000"})
    assert ipv6.content == places_body(world, "http://[::1]:8000")


async def test_image_url_serves_the_file(client: httpx.AsyncClient, world: World) -> None:
    image = await client.get(f"/media/{world.district_image}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


async def test_documented_example_place_list(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/places/?district_id=1")
    assert response.status_code == 200
    assert response.content == places_body(world)
    assert (await client.get("/api/v1/places/?district_id=2")).content == MUSEUM


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", b'{"district_id":["This field is required."]}'),
        ("?District_id=1", b'{"district_id":["This field is required."]}'),
        ("?district_id[]=1", b'{"district_id":["This field is required."]}'),
        ("?district_id=", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=abc", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=1.5", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=0x1", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=1e0", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=null", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=1&district_id=abc", b'{"district_id":["A valid integer is required."]}'),
        ("?district_id=" + "9" * 1001, b'{"district_id":["String value too large."]}'),
    ],
)
async def test_bad_district_id(client: httpx.AsyncClient, query: str, expected: bytes) -> None:
    response = await client.get(f"/api/v1/places/{query}")
    assert response.status_code == 400
    assert response.content == expected


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1",
        "-0",
        "1_0",
        "999",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
        "9" * 1000,
    ],
)
async def test_ids_that_match_nothing(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get(f"/api/v1/places/?district_id={value}")
    assert response.status_code == 200
    assert response.content == b"[]"


@pytest.mark.parametrize(
    "query",
    [
        "?district_id=1.0",
        "?district_id=1.",
        "?district_id=1.00%20",
        "?district_id=%201%20",
        "?district_id=+1",
        "?district_id=%D9%A1",
        "?district_id=2&district_id=1",
        "?district_id=1&foo=bar",
    ],
)
async def test_drf_integer_spellings(client: httpx.AsyncClient, world: World, query: str) -> None:
    response = await client.get(f"/api/v1/places/{query}")
    assert response.status_code == 200
    assert response.content == places_body(world)


async def test_last_repeated_value_counts(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/places/?district_id=abc&district_id=2")
    assert response.content == MUSEUM
    assert (await client.get("/api/v1/places/?district_id=3")).content == b"[]"


@pytest.mark.parametrize("count", [500, 501])
async def test_long_lists_stream_the_same_bytes(
    client: httpx.AsyncClient, world: World, count: int
) -> None:
    """A list of one batch goes out whole (``Content-Length``); a longer one streams, same JSON."""
    services = world.services
    async with services.engine.begin() as connection:
        new_district = sa.insert(District).values(title="Длинный", abbreviation="Д")
        district = (await connection.execute(new_district.returning(col(District.id)))).scalar_one()
        await connection.execute(
            sa.insert(Place),
            [
                {
                    "title": f"Место {n}",
                    "short_description": "",
                    "full_description": "",
                    "latitude": Decimal("55.75"),
                    "longitude": Decimal("37.62"),
                    "type": "park",
                    "district_id": district,
                }
                for n in range(count)
            ],
        )
    response = await client.get(f"/api/v1/places/?district_id={district}")
    assert response.status_code == 200
    items = orjson.loads(response.content)
    assert [item["title"] for item in items] == [f"Место {n}" for n in range(count)]
    assert [item["id"] for item in items] == sorted(item["id"] for item in items)
    assert response.content.startswith(b'[{"id":') and response.content.endswith(b"}]")
    streamed = "content-length" not in response.headers
    assert streamed == (count > 500)


@pytest.mark.parametrize("count", [2, 501])
async def test_line_and_paragraph_separators_are_escaped(
    client: httpx.AsyncClient, world: World, count: int
) -> None:
    """DRF writes U+2028 and U+2029 as escapes, whole or streamed, on either database."""
    title = "Line\u2028para\u2029graph 🌳 «Ж»"
    async with world.services.engine.begin() as connection:
        new_district = sa.insert(District).values(title=title, abbreviation="\u2029")
        district = (await connection.execute(new_district.returning(col(District.id)))).scalar_one()
        await connection.execute(
            sa.insert(Place),
            [
                {
                    "title": f"{title} {n}",
                    "short_description": "\u2028",
                    "full_description": "",
                    "latitude": Decimal("1"),
                    "longitude": Decimal("2"),
                    "type": "park",
                    "district_id": district,
                }
                for n in range(count)
            ],
        )
    districts = (await client.get("/api/v1/disticts/")).content
    expected = '"title":"Line\\u2028para\\u2029graph 🌳 «Ж»","abbreviation":"\\u2029"'
    assert expected.encode() in districts
    places = await client.get(f"/api/v1/places/?district_id={district}")
    assert ("content-length" not in places.headers) == (count > 500)
    assert b"\xe2\x80\xa8" not in places.content + districts
    assert b"\xe2\x80\xa9" not in places.content + districts
    items = orjson.loads(places.content)
    assert [item["title"] for item in items] == [f"{title} {n}" for n in range(count)]
    assert places.content.count(b'"short_description":"\\u2028"') == count
