"""Deterministic synthetic data for benchmarks: 12 districts × N places × 3 images.

The rows are exactly those of the team's side-by-side benchmark rig (its ``gen_data.py`` with the
default seed): same ids, titles, descriptions, coordinates and image paths, drawn from one
``random.Random(seed)`` in the same order. That lets citygraph's own benchmark figures and the
rig's (PostGraphile, the original Django service) be compared on identical data. The rig's place
types that citygraph does not know (``theatre``, ``cafe``…) become ``unique_place``, as the rig's
own copy into citygraph's tables does.

Image paths (``places/<id>/<k>.jpg``) name files that do not exist: the benchmarks measure the
API, not file serving.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal, NamedTuple

from citygraph.models import PlaceType

Scale = Literal["small", "large"]
PLACES_PER_DISTRICT: dict[Scale, int] = {"small": 100, "large": 10_000}
IMAGES_PER_PLACE = 3
DEFAULT_SEED = 20240917

# The 12 administrative okrugs: title, abbreviation, image slug, approximate centre (lat, lon)
# and the half-size (lat, lon) of the box their places fall in.
DISTRICTS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("Центральный административный округ", "ЦАО", "cao", 55.7540, 37.6200, 0.030, 0.060),
    ("Северный административный округ", "САО", "sao", 55.8500, 37.5100, 0.040, 0.070),
    ("Северо-Восточный административный округ", "СВАО", "svao", 55.8600, 37.6300, 0.040, 0.060),
    ("Восточный административный округ", "ВАО", "vao", 55.7900, 37.7800, 0.040, 0.080),
    ("Юго-Восточный административный округ", "ЮВАО", "yuvao", 55.7000, 37.7600, 0.040, 0.070),
    ("Южный административный округ", "ЮАО", "yuao", 55.6300, 37.6500, 0.050, 0.070),
    ("Юго-Западный административный округ", "ЮЗАО", "yuzao", 55.6300, 37.5300, 0.050, 0.060),
    ("Западный административный округ", "ЗАО", "zao", 55.7100, 37.4300, 0.050, 0.080),
    ("Северо-Западный административный округ", "СЗАО", "szao", 55.8300, 37.4300, 0.040, 0.060),
    ("Зеленоградский административный округ", "ЗелАО", "zelao", 55.9900, 37.1900, 0.025, 0.050),
    ("Новомосковский административный округ", "НАО", "nao", 55.5600, 37.3700, 0.080, 0.180),
    ("Троицкий административный округ", "ТАО", "tao", 55.3600, 37.1500, 0.150, 0.250),
)
# Moscow (with New Moscow): every coordinate is clamped inside this box.
LAT_MIN, LAT_MAX = 55.1400, 56.0200
LON_MIN, LON_MAX = 36.8000, 37.9700

# (the rig's type, title prefix); the order matters: it is indexed by the random stream.
PLACE_KINDS: tuple[tuple[str, str], ...] = (
    ("museum", "Музей"),
    ("park", "Парк"),
    ("theatre", "Театр"),
    ("church", "Храм"),
    ("monument", "Памятник"),
    ("estate", "Усадьба"),
    ("gallery", "Галерея"),
    ("square", "Сквер"),
    ("library", "Библиотека"),
    ("cafe", "Кафе"),
    ("market", "Рынок"),
    ("embankment", "Набережная"),
)
ADJECTIVES = (
    "Старый", "Новый", "Зелёный", "Красный", "Тихий", "Большой", "Малый", "Северный",
    "Южный", "Речной", "Лесной", "Солнечный", "Городской", "Народный", "Весенний", "Белый",
)  # fmt: skip
NOUNS = (
    "сад", "двор", "мост", "пруд", "бульвар", "квартал", "холм", "берег", "дом",
    "луг", "остров", "переулок", "родник", "бор", "вокзал", "причал",
)  # fmt: skip
SENTENCES = (
    "Одно из самых посещаемых мест округа.",
    "Здесь удобно начинать прогулку по району.",
    "Место хорошо известно москвичам и гостям столицы.",
    "История этого места уходит в девятнадцатый век.",
    "Летом здесь проходят концерты и ярмарки.",
    "Рядом есть станция метро и несколько остановок автобуса.",
    "Вход свободный, по выходным проводятся экскурсии.",
    "Архитектура здания сочетает классицизм и модерн.",
    "В округе это место считают настоящей достопримечательностью.",
    "Отсюда открывается прекрасный вид на город.",
    "Территория была благоустроена в последние годы.",
    "Сюда приходят семьями, с детьми и с собаками.",
    "Неподалёку расположены кафе и небольшие магазины.",
    "Зимой здесь заливают каток и ставят ёлку.",
)
_QUANTUM = Decimal("0.000001")
_KNOWN_TYPES = frozenset(member.value for member in PlaceType)


class DistrictRow(NamedTuple):
    id: int
    title: str
    abbreviation: str
    image: str


class PlaceRow(NamedTuple):
    id: int
    title: str
    short_description: str
    full_description: str
    longitude: Decimal
    latitude: Decimal
    type: str
    district_id: int


class ImageRow(NamedTuple):
    id: int
    image: str
    place_id: int


class DistrictBatch(NamedTuple):
    """One district's places and their images, in id order."""

    places: list[PlaceRow]
    images: list[ImageRow]


def place_type(kind: str) -> str:
    """citygraph's type for one of the rig's kinds (unknown kinds are ``unique_place``)."""
    return kind if kind in _KNOWN_TYPES else PlaceType.UNIQUE_PLACE.value


def districts() -> list[DistrictRow]:
    return [
        DistrictRow(number, title, abbreviation, f"districts/{slug}.jpg")
        for number, (title, abbreviation, slug, *_box) in enumerate(DISTRICTS, start=1)
    ]


def row_counts(scale: Scale) -> tuple[int, int, int]:
    """(districts, places, images) that ``scale`` produces."""
    places = len(DISTRICTS) * PLACES_PER_DISTRICT[scale]
    return len(DISTRICTS), places, places * IMAGES_PER_PLACE


def place_batches(scale: Scale, seed: int = DEFAULT_SEED) -> Iterator[DistrictBatch]:
    """Yield each district's places and images in order; same seed, same rows.

    One random stream runs across all districts, so the batches must be consumed in order.
    """
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not a secret
    per_district = PLACES_PER_DISTRICT[scale]
    place_id = image_id = 0
    for district_id, (_title, abbr, _slug, lat0, lon0, dlat, dlon) in enumerate(DISTRICTS, 1):
        batch = DistrictBatch([], [])
        for number in range(1, per_district + 1):
            place_id += 1
            kind, prefix = PLACE_KINDS[rng.randrange(len(PLACE_KINDS))]
            title = f"{prefix} «{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}» №{number} ({abbr})"
            short = rng.choice(SENTENCES)
            full = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(4, 8)))
            lat = min(max(lat0 + rng.uniform(-dlat, dlat), LAT_MIN), LAT_MAX)
            lon = min(max(lon0 + rng.uniform(-dlon, dlon), LON_MIN), LON_MAX)
            batch.places.append(
                PlaceRow(
                    place_id,
                    title,
                    short,
                    full,
                    Decimal(lon).quantize(_QUANTUM),
                    Decimal(lat).quantize(_QUANTUM),
                    place_type(kind),
                    district_id,
                )
            )
            for k in range(1, IMAGES_PER_PLACE + 1):
                image_id += 1
                batch.images.append(ImageRow(image_id, f"places/{place_id}/{k}.jpg", place_id))
        yield batch
