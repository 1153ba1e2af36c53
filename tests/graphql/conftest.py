"""Helpers for GraphQL tests: post an operation, make staff and plain users, seed rows."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image

from citygraph.db import session_scope
from citygraph.models import District, Place, PlaceImage, PlaceType
from citygraph.security import jwt
from citygraph.services import Services
from tests.support.users import create_account


@dataclass
class GQL:
    client: httpx.AsyncClient

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"JWT {token}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        # ``json.dumps`` escapes non-ASCII, so lone surrogates can be sent too (httpx's ``json=``
        # encodes raw UTF-8 and cannot).
        sent.setdefault("Content-Type", "application/json")
        return await self.client.post("/graphql", content=json.dumps(body), headers=sent)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, token=token)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return payload


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GQL:
    return GQL(client)


async def make_user(services: Services, username: str, *, staff: bool) -> str:
    """An active account (staff: a superuser) and an access token for it."""
    user = await create_account(
        services,
        username,
        email="",
        password="x" * 12,
        active=True,
        staff=staff,
        superuser=staff,
    )
    assert user.id is not None
    return jwt.encode(services.settings, "access", user.id)


@pytest.fixture
async def staff_token(services: Services) -> str:
    return await make_user(services, "staff", staff=True)


@pytest.fixture
async def user_token(services: Services) -> str:
    return await make_user(services, "plain", staff=False)


def png_bytes(size: tuple[int, int] = (4, 3), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Seeded:
    district_ids: list[int]
    place_ids: list[int]


async def seed(
    services: Services,
    *,
    districts: int = 2,
    places_per_district: int = 3,
    images_per_place: int = 1,
    titles: list[str] | None = None,
) -> Seeded:
    """Rows straight into the database (no files: image paths are made up)."""
    result = Seeded([], [])
    async with session_scope(services.sessions) as session:
        for d in range(districts):
            title = titles[d] if titles and d < len(titles) else f"District {d}"
            district = District(title=title, abbreviation=f"D{d}")
            session.add(district)
            await session.flush()
            assert district.id is not None
            result.district_ids.append(district.id)
            for p in range(places_per_district):
                place = Place(
                    title=f"Place {d}-{p}",
                    short_description="short",
                    full_description="full",
                    latitude=Decimal("55.750000") + Decimal(p) / 1000,
                    longitude=Decimal("37.610000") + Decimal(d) / 1000,
                    type=PlaceType.PARK,
                    district_id=district.id,
                )
                session.add(place)
                await session.flush()
                assert place.id is not None
                result.place_ids.append(place.id)
                for i in range(images_per_place):
                    session.add(
                        PlaceImage(image=f"places/seed-{place.id}-{i}.png", place_id=place.id)
                    )
            await session.flush()
    return result
