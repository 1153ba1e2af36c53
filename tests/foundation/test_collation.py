"""SQLite's Russian order (``collation``) is PostgreSQL's ICU ``ru`` order.

The table of primary classes is regenerated from PostgreSQL (a nondeterministic ICU collation
at primary strength says which characters are equal) and compared with the one in the code;
then titles, realistic and random, are sorted by both and compared.
"""

from __future__ import annotations

import random

import asyncpg
import pytest

from citygraph.collation import IGNORABLE, PRIMARY_CLASSES, binary_key

pytestmark = pytest.mark.postgres

CHARACTERS = list(
    dict.fromkeys(
        [chr(c) for c in range(32, 127)]
        + [chr(c) for c in range(160, 256)]
        + [chr(c) for c in range(0x400, 0x500)]
        + list("«»—–…№’‘“”„‚")
    )
)
TITLES = [
    "«Ёлки»",
    "10 лет",
    "2 моста",
    "Арбат",
    "еж",
    "Ёж",
    "ёлка",
    "ель",
    "Ель",
    "Жуковка",
    "Иваново",
    "Йошкар-Ола",
    "Яуза",
    "Arbat",
    "Zoo",
    "Café Пушкинъ",
    "Парк Горького",
    "парк горького",
    "Парк  Горького",
    "Музей-заповедник «Коломенское»",
    "Музей заповедник Коломенское",
    "Храм Христа Спасителя",
    "ХРАМ",
]


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("+asyncpg", ""))


async def test_primary_classes_are_icus(postgres_url: str) -> None:
    connection = await _connect(postgres_url)
    try:
        await connection.execute(
            "CREATE COLLATION IF NOT EXISTS pg_temp.ru_primary "
            "(provider = icu, locale = 'ru-u-ks-level1', deterministic = false)"
        )
        ordered = [
            row[0]
            for row in await connection.fetch(
                'SELECT c FROM unnest($1::text[]) AS t(c) ORDER BY c COLLATE "ru-x-icu", c',
                CHARACTERS,
            )
        ]
        ignorable = {
            row[0]
            for row in await connection.fetch(
                "SELECT c FROM unnest($1::text[]) AS t(c) WHERE c = '' COLLATE pg_temp.ru_primary",
                CHARACTERS,
            )
        }
        classes: list[list[str]] = []
        for char in ordered:
            if char in ignorable:
                continue
            same = classes and await connection.fetchval(
                "SELECT $1 = $2 COLLATE pg_temp.ru_primary", classes[-1][0], char
            )
            if same:
                classes[-1].append(char)
            else:
                classes.append([char])
    finally:
        await connection.close()
    assert ["".join(members) for members in classes] == list(PRIMARY_CLASSES)
    assert ignorable == set(IGNORABLE)


async def test_titles_sort_as_postgresql_sorts_them(postgres_url: str) -> None:
    rng = random.Random(20261201)
    alphabet = "аеёжийклнопьъыэюяАЕЁЖИЙЯ eEaAzZ-–«»'.,1290ß"
    titles = TITLES + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(2000)
    ]
    connection = await _connect(postgres_url)
    try:
        rows = await connection.fetch(
            'SELECT t FROM unnest($1::text[]) AS u(t) ORDER BY t COLLATE "ru-x-icu"', titles
        )
    finally:
        await connection.close()
    assert sorted(titles, key=binary_key) == [row[0] for row in rows]
