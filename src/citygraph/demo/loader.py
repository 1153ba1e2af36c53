"""Loads the demo data set; idempotent (matches districts by title, places by district+title)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func
from sqlmodel import select

from citygraph.demo.data import DISTRICTS
from citygraph.demo.images import render_card
from citygraph.domain import districts, places
from citygraph.domain.parsers import Id
from citygraph.domain.unit import UnitOfWork
from citygraph.models import District, Place, PlaceImage

ILLUSTRATION = "Иллюстрация, не фотография"


@dataclass
class DemoReport:
    districts_created: int = 0
    places_created: int = 0
    images_created: int = 0


async def _card(title: str, subtitle: str) -> bytes:
    return await anyio.to_thread.run_sync(render_card, title, f"{subtitle} · {ILLUSTRATION}")


#: How many places the demo data holds (the unit of ``load_demo``'s progress).
PLACE_COUNT = sum(len(district.places) for district in DISTRICTS)


async def load_demo(
    uow: UnitOfWork, *, progress: Callable[[int], object] | None = None
) -> DemoReport:
    """Load what is missing through the domain operations (so the demo obeys every rule).

    ``progress`` is called with 1 after each place (``PLACE_COUNT`` calls in all).
    """
    report = DemoReport()
    session = uow.session
    for demo_district in DISTRICTS:
        district = (
            await session.exec(select(District).where(District.title == demo_district.title))
        ).first()
        if district is None:
            form = districts.DistrictForm.parse(
                title=demo_district.title,
                abbreviation=demo_district.abbreviation,
                image=await _card(demo_district.title, demo_district.abbreviation),
            )
            district = await districts.create_district(uow, form)
            report.districts_created += 1
        assert district.id is not None
        for demo_place in demo_district.places:
            place = (
                await session.exec(
                    select(Place).where(
                        Place.district_id == district.id, Place.title == demo_place.title
                    )
                )
            ).first()
            if place is None:
                place_form = places.PlaceForm.parse(
                    title=demo_place.title,
                    short_description=demo_place.short_description,
                    full_description=demo_place.full_description,
                    latitude=demo_place.latitude,
                    longitude=demo_place.longitude,
                    type=demo_place.type,
                    district=district.id,
                )
                place = await places.create_place(uow, place_form)
                report.places_created += 1
            assert place.id is not None
            images = await session.exec(
                select(func.count()).select_from(PlaceImage).where(PlaceImage.place_id == place.id)
            )
            if images.one() == 0:
                card = await _card(demo_place.title, demo_district.title)
                await places.add_place_image(uow, Id(place.id), card)
                report.images_created += 1
            if progress is not None:
                progress(1)
    return report
