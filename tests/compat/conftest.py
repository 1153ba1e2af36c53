"""Fixtures for the REST contract tests: the original's cast of users, districts and places.

``world`` mirrors the reference captures: admin (staff), alice (active), carol (inactive);
districts "Центральный" (with an image), "Северный" (none) and an ASCII one full of characters
that JSON must escape; places 1 and 2 in the first district (place 1 with two images), place 3 in
the second.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from PIL import Image

from citygraph.domain import districts, places
from citygraph.domain.parsers import Id
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.security import jwt
from citygraph.services import Services
from tests.support.users import create_account

ADMIN_PASSWORD = "AdminPass-123"
ALICE_PASSWORD = "Wonderland#2024"
CAROL_PASSWORD = "Carol#Pass-77"


def png_bytes(color: tuple[int, int, int] = (200, 30, 30), size: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    services: Services
    admin: User
    alice: User
    carol: User
    district_ids: list[int]
    place_ids: list[int]
    district_image: str | None
    place_images: list[str]

    def access(self, user: User) -> str:
        assert user.id is not None
        return jwt.encode(self.services.settings, "access", user.id)

    def refresh(self, user: User) -> str:
        assert user.id is not None
        return jwt.encode(self.services.settings, "refresh", user.id)

    def auth(self, user: User) -> dict[str, str]:
        return {"Authorization": f"JWT {self.access(user)}"}


async def make_user(
    services: Services, username: str, email: str, password: str, *, active: bool, staff: bool
) -> User:
    return await create_account(
        services,
        username,
        email=email,
        password=password,
        active=active,
        staff=staff,
        superuser=staff,
    )


@pytest.fixture
async def world(services: Services) -> World:
    admin = await make_user(
        services, "admin", "admin@example.com", ADMIN_PASSWORD, active=True, staff=True
    )
    alice = await make_user(
        services, "alice", "alice@example.com", ALICE_PASSWORD, active=True, staff=False
    )
    carol = await make_user(
        services, "carol", "carol@example.com", CAROL_PASSWORD, active=False, staff=False
    )
    async with unit_of_work(services, actor=SYSTEM) as uow:
        center = await districts.create_district(
            uow,
            districts.DistrictForm.parse(
                title="Центральный", abbreviation="ЦАО", image=png_bytes()
            ),
        )
        north = await districts.create_district(
            uow, districts.DistrictForm.parse(title="Северный", abbreviation="САО")
        )
        plain = await districts.create_district(
            uow,
            districts.DistrictForm.parse(title='Plain "quoted" <b>&</b> \\ title', abbreviation=""),
        )
        assert center.id and north.id and plain.id
        square = await places.create_place(
            uow,
            places.PlaceForm.parse(
                title="Красная площадь",
                short_description="Главная площадь",
                full_description='Описание\nс переводом строки и "кавычками"',
                latitude=Decimal("55.753930"),
                longitude=Decimal("37.620795"),
                type="unique_place",
                district=center.id,
            ),
        )
        park = await places.create_place(
            uow,
            places.PlaceForm.parse(
                title="Парк Горького",
                short_description="",
                full_description="",
                latitude=Decimal("0"),
                longitude=Decimal("-0.5"),
                type="park",
                district=center.id,
            ),
        )
        museum = await places.create_place(
            uow,
            places.PlaceForm.parse(
                title="Museum",
                short_description="s",
                full_description="f",
                latitude=Decimal("2"),
                longitude=Decimal("1.000001"),
                type="museum",
                district=north.id,
            ),
        )
        assert square.id and park.id and museum.id
        first = await places.add_place_image(uow, Id(square.id), png_bytes())
        second = await places.add_place_image(uow, Id(square.id), png_bytes((0, 0, 0)))
    return World(
        services=services,
        admin=admin,
        alice=alice,
        carol=carol,
        district_ids=[center.id, north.id, plain.id],
        place_ids=[square.id, park.id, museum.id],
        district_image=center.image,
        place_images=[first.image, second.image],
    )
