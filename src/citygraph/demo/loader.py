"""Loads the demo data set; idempotent (matches districts by title, places by district+title)."""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.demo.data import DISTRICTS
from citygraph.demo.images import render_card
from citygraph.domain.media import store_image
from citygraph.models import District, Place, PlaceImage, PlaceType

ILLUSTRATION = "Иллюстрация, не фотография"


@dataclass
class DemoReport:
    districts_created: int = 0
    places_created: int = 0
    images_created: int = 0


async def _card(settings: Settings, title: str, subtitle: str, folder: str) -> str:
    data = await anyio.to_thread.run_sync(render_card, title, f"{subtitle} · {ILLUSTRATION}")
    return await store_image(settings, data, folder)


async def load_demo(session: AsyncSession, settings: Settings) -> DemoReport:
    report = DemoReport()
    for demo_district in DISTRICTS:
        district = (
            await session.exec(select(District).where(District.title == demo_district.title))
        ).first()
        if district is None:
            district = District(
                title=demo_district.title,
                abbreviation=demo_district.abbreviation,
                image=await _card(
                    settings, demo_district.title, demo_district.abbreviation, "districts"
                ),
            )
            session.add(district)
            await session.flush()
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
                place = Place(
                    title=demo_place.title,
                    short_description=demo_place.short_description,
                    full_description=demo_place.full_description,
                    latitude=demo_place.latitude,
                    longitude=demo_place.longitude,
                    type=PlaceType(demo_place.type),
                    district_id=district.id,
                )
                session.add(place)
                await session.flush()
                report.places_created += 1
            assert place.id is not None
            images = await session.exec(
                select(func.count()).select_from(PlaceImage).where(PlaceImage.place_id == place.id)
            )
            if images.one() == 0:
                path = await _card(settings, demo_place.title, demo_district.title, "places")
                session.add(PlaceImage(image=path, place_id=place.id))
                report.images_created += 1
    await session.flush()
    return report
