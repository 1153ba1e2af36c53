"""The two public lists of the REST face, as JSON text built by the database.

``/api/v1/disticts/`` and ``/api/v1/places/?district_id=N`` are what legacy clients fetch most,
and a district may hold 10,000 places: one statement builds each item's DRF representation
(field order, compact separators, raw UTF-8, coordinates with 6 decimals) and the rows stream
to the client as they come, so the first byte leaves before the last row is read and no list
is ever held whole in memory. A list that fits in the first batch goes out in one response with
``Content-Length``, as DRF sends it.

The database hands each item over as UTF-8 bytes (``Sql.utf8``), so no list is decoded into a
``str`` only to be encoded again. DRF escapes U+2028 and U+2029 (``compat.rendering``); the
database does not, so a batch that holds one is patched on its way out.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from starlette.responses import Response, StreamingResponse

from citygraph.domain.parsers import Id
from citygraph.jsonsql import Dialect, Sql, literal
from citygraph.reader import Reader
from compat.rendering import JSON_MEDIA_TYPE

BATCH = 500
#: The first batch of a streamed list is small, so its first byte leaves early.
FIRST_STREAM_BATCH = 50

# The statements are built once per media base (and district): their text and parameters are
# never changed after building, and building them costs as much as a small list's fetch.


def _item(sql: Sql, parts: list[tuple[str, str]]) -> str:
    """A JSON object of ``(key, value SQL)`` pairs, keys in that order."""
    pieces: list[str] = []
    for index, (key, value) in enumerate(parts):
        pieces.append(literal(("{" if index == 0 else ",") + f'"{key}":'))
        pieces.append(value)
    pieces.append(literal("}"))
    return sql.concat(pieces)


def _url(sql: Sql, media_base: str, path: str) -> str:
    return sql.string(f"{sql.named('media_base', media_base, 'text')} || {path}")


@functools.lru_cache(maxsize=64)
def districts_statement(dialect: Dialect, media_base: str) -> tuple[str, Sql]:
    """One row per district (by id): its JSON as the original's serializer writes it."""
    sql = Sql(dialect)
    image = f"(CASE WHEN d.image IS NULL THEN 'null' ELSE {_url(sql, media_base, 'd.image')} END)"
    item = _item(
        sql,
        [
            ("id", sql.integer("d.id")),
            ("title", sql.string("d.title")),
            ("abbreviation", sql.string("d.abbreviation")),
            ("image", image),
        ],
    )
    return f"SELECT {sql.utf8(item)} FROM districts AS d ORDER BY d.id", sql


@functools.lru_cache(maxsize=1024)
def places_statement(dialect: Dialect, media_base: str, district_id: Id) -> tuple[str, Sql]:
    """One row per place of the district (by id), images included, as the original writes it."""
    sql = Sql(dialect)
    image = _item(
        sql,
        [
            ("id", sql.integer("i.id")),
            ("image", _url(sql, media_base, "i.image")),
            ("place", sql.integer("i.place_id")),
        ],
    )
    images = sql.array(image, "place_images AS i WHERE i.place_id = p.id", "i.id")
    item = _item(
        sql,
        [
            ("id", sql.integer("p.id")),
            ("images", images),
            ("title", sql.string("p.title")),
            ("short_description", sql.string("p.short_description")),
            ("full_description", sql.string("p.full_description")),
            ("longitude", sql.coordinate("p.longitude")),
            ("latitude", sql.coordinate("p.latitude")),
            ("type", sql.string("p.type")),
            ("district", sql.integer("p.district_id")),
        ],
    )
    where = f"p.district_id = {sql.param(district_id, 'int')}"
    return f"SELECT {sql.utf8(item)} FROM places AS p WHERE {where} ORDER BY p.id", sql


_LINE_SEPARATOR = "\u2028".encode()
_PARAGRAPH_SEPARATOR = "\u2029".encode()


def _drf(items: list[bytes]) -> bytes:
    """The items joined by commas, with U+2028 and U+2029 escaped as DRF's renderer does."""
    joined = b",".join(items)
    return joined.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")


async def _first(driver: Any, statement: str, sql: Sql) -> list[bytes]:
    """Up to ``BATCH + 1`` values in one round trip, outside any transaction: nearly every
    list ends here, and a cursor would cost three more round trips on PostgreSQL (BEGIN, the
    cursor's own fetch, COMMIT)."""
    limited = f"{statement} LIMIT {BATCH + 1}"
    if sql.postgres:
        return [row[0] for row in await driver.fetch(limited, *sql.params)]
    async with driver.execute(limited, sql.bound()) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def _rows(driver: Any, statement: str, sql: Sql) -> AsyncGenerator[list[bytes], None]:
    """The statement's values in batches, read with a server-side cursor where there is one."""
    size = FIRST_STREAM_BATCH
    if sql.postgres:
        async with driver.transaction():
            cursor = await driver.cursor(statement, *sql.params)
            while batch := await cursor.fetch(size):
                yield [row[0] for row in batch]
                size = BATCH
        return
    cursor = await driver.execute(statement, sql.bound())
    try:
        while batch := await cursor.fetchmany(size):
            yield [row[0] for row in batch]
            size = BATCH
    finally:
        await cursor.close()


async def json_list(reader: Reader, statement: str, sql: Sql) -> Response:
    """A JSON array of the statement's values: whole when one batch holds it, else streamed.

    The list holds a driver connection of the ``reader`` until it is sent (a streamed list
    outlives the request). A long list is read again from its start through a cursor, so what
    streams is one snapshot.
    """
    if not reader.pooled:
        return await _held_list(reader, statement, sql)
    # acquire/release rather than a context manager kept open across the stream: on this,
    # the path legacy clients hit most, the context managers cost more than the query's CPU.
    driver = await reader.acquire()
    try:
        first = await _first(driver, statement, sql)
    except BaseException:
        reader.release(driver, discard=True)
        raise
    if len(first) <= BATCH:
        reader.release(driver)
        return _whole(first)

    async def release(complete: bool) -> None:
        reader.release(driver, discard=not complete)

    return _streamed(driver, statement, sql, release)


async def _held_list(reader: Reader, statement: str, sql: Sql) -> Response:
    """``json_list`` on a connection only ``reader.connection()`` hands out (SQLite)."""
    held = AsyncExitStack()
    driver = await held.enter_async_context(reader.connection())
    try:
        first = await _first(driver, statement, sql)
    except BaseException:
        await held.aclose()
        raise
    if len(first) <= BATCH:
        await held.aclose()
        return _whole(first)

    async def done(_complete: bool) -> None:
        await held.aclose()

    return _streamed(driver, statement, sql, done)


def _whole(values: list[bytes]) -> Response:
    return Response(b"[" + _drf(values) + b"]", media_type=JSON_MEDIA_TYPE)


def _streamed(
    driver: Any, statement: str, sql: Sql, done: Callable[[bool], Awaitable[None]]
) -> Response:
    """The list read again through a cursor as it streams; ``done`` gives the connection back
    (told whether the stream ran to its end)."""

    async def stream() -> AsyncIterator[bytes]:
        batches = _rows(driver, statement, sql)
        complete = False
        try:
            separator = b"["
            async for batch in batches:
                yield separator + _drf(batch)
                separator = b","
            yield b"[]" if separator == b"[" else b"]"
            complete = True
        finally:
            await batches.aclose()
            await done(complete)

    return StreamingResponse(stream(), media_type=JSON_MEDIA_TYPE)
