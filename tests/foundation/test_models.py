"""The tables on the real engines: exact coordinates, uniqueness, referential rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from citygraph.db import session_scope
from citygraph.models import District, Place, PlaceImage, PlaceType, User
from citygraph.services import Services

COORDINATES = [
    (Decimal("55.753930"), Decimal("37.620795")),
    (Decimal("-89.999999"), Decimal("-179.999999")),
    (Decimal("90.000000"), Decimal("180.000000")),
    (Decimal("0.000001"), Decimal("0.000000")),
    (Decimal("55.100000"), Decimal("36.800001")),
]


async def _district(services: Services, title: str = "Центральный") -> int:
    async with session_scope(services.sessions) as session:
        district = District(title=title, abbreviation="ЦАО")
        session.add(district)
        await session.flush()
        assert district.id is not None
        return district.id


async def test_coordinates_round_trip_exactly(services: Services) -> None:
    district_id = await _district(services)
    async with session_scope(services.sessions) as session:
        for index, (lat, lon) in enumerate(COORDINATES):
            session.add(
                Place(title=f"p{index}", latitude=lat, longitude=lon, district_id=district_id)
            )
    async with services.sessions() as session:
        places = (await session.exec(select(Place).order_by(Place.id))).all()  # type: ignore[arg-type]
    assert [(p.latitude, p.longitude) for p in places] == COORDINATES
    assert str(places[0].latitude) == "55.753930"
    assert all(p.type is PlaceType.UNIQUE_PLACE for p in places)


async def test_deleting_a_district_with_places_is_refused(services: Services) -> None:
    district_id = await _district(services)
    async with session_scope(services.sessions) as session:
        session.add(
            Place(
                title="Красная площадь",
                latitude=Decimal("55.753930"),
                longitude=Decimal("37.620795"),
                district_id=district_id,
            )
        )
    async with services.sessions() as session:
        district = await session.get(District, district_id)
        await session.delete(district)
        with pytest.raises(IntegrityError):
            await session.commit()
    async with services.sessions() as session:
        assert await session.get(District, district_id) is not None


async def test_deleting_a_place_cascades_to_its_images(services: Services) -> None:
    district_id = await _district(services)
    async with session_scope(services.sessions) as session:
        place = Place(
            title="ВДНХ",
            latitude=Decimal("55.826296"),
            longitude=Decimal("37.637650"),
            district_id=district_id,
        )
        session.add(place)
        await session.flush()
        assert place.id is not None
        session.add(PlaceImage(image="places/a.png", place_id=place.id))
        place_id = place.id
    async with session_scope(services.sessions) as session:
        # A bulk delete goes straight to the database, so the FK's ON DELETE CASCADE is tested.
        await session.exec(Place.__table__.delete().where(Place.__table__.c.id == place_id))  # type: ignore[call-overload,attr-defined]
    async with services.sessions() as session:
        assert (await session.exec(select(PlaceImage))).all() == []


async def test_usernames_are_unique_case_sensitively(services: Services) -> None:
    async with session_scope(services.sessions) as session:
        session.add(User(username="Ivan", password="x"))
        session.add(User(username="ivan", password="x"))
    with pytest.raises(IntegrityError):
        async with session_scope(services.sessions) as session:
            session.add(User(username="Ivan", password="y"))
