"""A read graph with awkward data, and apps with and without the compiled reads."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from PIL import Image

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.domain import districts, places
from citygraph.domain.parsers import Id
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services
from tests.conftest import make_settings

# Titles JSON must escape, Cyrillic and astral characters, a line separator.
TITLES = [
    "Красная площадь",
    'Кавычки "двойные" и \\ обратная черта',
    "Перевод\nстроки\tи табуляция \x01",
    "Парк Горького 🌳",
    "Line\u2028separator",
    "Музей-заповедник «Коломенское»",
]
COORDINATES = [
    (Decimal("55.753930"), Decimal("37.620795")),
    (Decimal("55.731000"), Decimal("37.603000")),
    (Decimal("55.667600"), Decimal("37.670900")),
    (Decimal("-33.856784"), Decimal("151.215297")),
    (Decimal("0"), Decimal("-0.5")),
    (Decimal("55.753930"), Decimal("37.620796")),
]


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class ReadGraph:
    district_ids: list[int]
    place_ids: list[int]


@pytest.fixture
async def read_graph(services: Services) -> ReadGraph:
    """Three districts (one without image or places), places with every kind of text, images."""
    async with unit_of_work(services, actor=SYSTEM) as uow:
        made = [
            await districts.create_district(
                uow,
                districts.DistrictForm.parse(
                    title="Центральный", abbreviation="ЦАО", image=png((200, 0, 0))
                ),
            ),
            await districts.create_district(
                uow, districts.DistrictForm.parse(title='Северный "С"', abbreviation="")
            ),
            await districts.create_district(uow, districts.DistrictForm.parse(title="Пустой")),
        ]
        district_ids = [d.id for d in made if d.id is not None]
        place_ids = []
        types = ["unique_place", "park", "museum", "temple", "monument", "park"]
        for number, (title, (lat, lon)) in enumerate(zip(TITLES * 3, COORDINATES * 3, strict=True)):
            place = await places.create_place(
                uow,
                places.PlaceForm.parse(
                    title=f"{title} {number}",
                    short_description=title[:20],
                    full_description=title * 2,
                    latitude=lat,
                    longitude=lon,
                    type=types[number % len(types)],
                    district=district_ids[number % 2],
                ),
            )
            assert place.id is not None
            place_ids.append(place.id)
            for image in range(number % 3):
                await places.add_place_image(uow, Id(place.id), png((image, number, 9)))
    return ReadGraph(district_ids, place_ids)


async def _client_with(
    services: Services, database_url: str, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The same database through an app of its own with other settings (no response cache:
    every request reaches a face)."""
    settings: Settings = make_settings(
        database_url, services.settings.media_root, CITYGRAPH_RESPONSE_CACHE="off", **overrides
    )
    shared = services.sharing_connections(settings)
    app = create_app(settings, services=shared)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def executor_client(
    services: Services, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app that never compiles: every request executes."""
    async for client in _client_with(services, database_url, CITYGRAPH_COMPILED_READS="false"):
        yield client


@pytest.fixture
async def compiling_client(
    services: Services, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app that compiles what it can (and caches no response, so each request compiles)."""
    async for client in _client_with(services, database_url):
        yield client
