"""The demo data set (okrugs, places, coordinates) and its illustrative cards."""

import io

import pytest
from PIL import Image

from citygraph.demo import images
from citygraph.demo.data import DISTRICTS, DemoDistrict, DemoPlace
from citygraph.demo.images import render_card

ABBREVIATIONS = (
    "ЦАО",
    "САО",
    "СВАО",
    "ВАО",
    "ЮВАО",
    "ЮАО",
    "ЮЗАО",
    "ЗАО",
    "СЗАО",
    "ЗелАО",
    "НАО",
    "ТАО",
)
TYPES = {"unique_place", "park", "museum", "temple", "monument"}
PLACES = [place for district in DISTRICTS for place in district.places]


def test_the_twelve_okrugs_come_in_order() -> None:
    assert tuple(district.abbreviation for district in DISTRICTS) == ABBREVIATIONS
    assert len({district.title for district in DISTRICTS}) == 12


@pytest.mark.parametrize("district", DISTRICTS, ids=lambda district: district.abbreviation)
def test_every_okrug_has_at_least_five_places(district: DemoDistrict) -> None:
    assert len(district.places) >= 5


@pytest.mark.parametrize("place", PLACES, ids=lambda place: place.title)
def test_coordinates_have_six_decimals_and_lie_in_moscow(place: DemoPlace) -> None:
    assert place.latitude.as_tuple().exponent == -6
    assert place.longitude.as_tuple().exponent == -6
    assert 55.1 <= place.latitude <= 56.1
    assert 36.8 <= place.longitude <= 38.0


def test_titles_are_unique_and_fit_the_column() -> None:
    titles = [place.title for place in PLACES]
    assert len(titles) == len(set(titles))
    assert all(0 < len(title) <= 200 for title in titles)


@pytest.mark.parametrize("place", PLACES, ids=lambda place: place.title)
def test_types_and_descriptions(place: DemoPlace) -> None:
    assert place.type in TYPES
    assert 0 < len(place.short_description) <= 300
    assert len(place.full_description) > len(place.short_description)
    assert place.full_description.endswith(".")


def test_card_is_a_png_of_the_requested_size_and_deterministic() -> None:
    data = render_card("Красная площадь", "Центральный · Иллюстрация, не фотография")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (800, 500)
    assert render_card("Красная площадь", "Центральный · Иллюстрация, не фотография") == data
    assert render_card("Московский Кремль", "Центральный") != data
    small = render_card("Очень длинное название " * 6, "подпись", size=(400, 250))
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (400, 250)


def test_card_falls_back_to_the_bundled_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "_FONT_FILES", ("no-such-font-citygraph.ttf",))
    images._font.cache_clear()
    try:
        data = render_card("Усадьба Щапово", "Троицкий · Иллюстрация, не фотография")
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (800, 500)
        assert render_card("Усадьба Щапово", "Троицкий · Иллюстрация, не фотография") == data
    finally:
        images._font.cache_clear()
