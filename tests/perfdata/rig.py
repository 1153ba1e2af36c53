"""What the benchmark rig's ``gen_data.py`` produces with its default seed, recorded once.

Digests are SHA-256 over the rows in id order, one line per row: the values joined by tabs, in
column order (coordinates as 6-decimal strings, the rig's unknown place types as
``unique_place``). The sample rows are copied from its output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

DIGESTS = {
    "small": {
        "districts": "99180f5e94c91c828499935f173003ef9d155d3fb0aaa787b537edbaa50cc06f",
        "places": "1d5e75d4602ec1539307d9419e6472c421eb87c647624ea7708ed912a6ec2d38",
        "images": "fab0711dead5729e76882576633bb397fb89c1b4f97e12bf7ccd79e7f82b49a9",
    },
    "large": {
        "districts": "99180f5e94c91c828499935f173003ef9d155d3fb0aaa787b537edbaa50cc06f",
        "places": "9d8e13a31f98d647165e30290c1c5560b2e47ea05f9846bfd0cc03eb3b498047",
        "images": "499b62f8f4becd27dc3e13bee4db24790a66441e6011b41b23268701a34d4a0e",
    },
}

# (id, title, short, full, longitude, latitude, type, district_id) of the small set.
SAMPLE_PLACES: dict[int, tuple[object, ...]] = {
    1: (
        1,
        "Музей «Речной дом» №1 (ЦАО)",
        "История этого места уходит в девятнадцатый век.",
        "Территория была благоустроена в последние годы. Зимой здесь заливают каток и ставят "
        "ёлку. В округе это место считают настоящей достопримечательностью. Архитектура здания "
        "сочетает классицизм и модерн. Территория была благоустроена в последние годы. Летом "
        "здесь проходят концерты и ярмарки.",
        Decimal("37.631780"),
        Decimal("55.737040"),
        "museum",
        1,
    ),
    537: (
        537,
        "Театр «Зелёный луг» №37 (ЮАО)",
        "История этого места уходит в девятнадцатый век.",
        "Архитектура здания сочетает классицизм и модерн. Отсюда открывается прекрасный вид на "
        "город. Одно из самых посещаемых мест округа. Сюда приходят семьями, с детьми и с "
        "собаками. Летом здесь проходят концерты и ярмарки. Отсюда открывается прекрасный вид "
        "на город.",
        Decimal("37.682820"),
        Decimal("55.673019"),
        "unique_place",  # the rig's "theatre"
        6,
    ),
    1200: (
        1200,
        "Храм «Северный вокзал» №100 (ТАО)",
        "Вход свободный, по выходным проводятся экскурсии.",
        "Сюда приходят семьями, с детьми и с собаками. История этого места уходит в "
        "девятнадцатый век. История этого места уходит в девятнадцатый век. Зимой здесь "
        "заливают каток и ставят ёлку. Вход свободный, по выходным проводятся экскурсии. Здесь "
        "удобно начинать прогулку по району.",
        Decimal("37.099415"),
        Decimal("55.493899"),
        "unique_place",  # the rig's "church"
        12,
    ),
}
SAMPLE_IMAGES: dict[int, tuple[object, ...]] = {
    1: (1, "places/1/1.jpg", 1),
    3600: (3600, "places/1200/3.jpg", 1200),
}
SAMPLE_DISTRICTS: dict[int, tuple[object, ...]] = {
    1: (1, "Центральный административный округ", "ЦАО", "districts/cao.jpg"),
    10: (10, "Зеленоградский административный округ", "ЗелАО", "districts/zelao.jpg"),
}


def digest(rows: Iterable[Iterable[object]]) -> str:
    sha = hashlib.sha256()
    for row in rows:
        sha.update(("\t".join(str(value) for value in row) + "\n").encode())
    return sha.hexdigest()
