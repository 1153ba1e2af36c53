"""Two ``citygraph serve`` processes on one PostgreSQL database (two workers, or two machines):
a change made through A reaches subscribers on B over graphql-transport-ws and over graphql-sse
(PostgreSQL's NOTIFY carries it); the delivery latency is measured and printed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from citygraph.changes import CHANNEL
from citygraph.feed import Change, ChangeKind, Entity
from citygraph.services import Services
from tests.conftest import TEST_SECRET, make_settings
from tests.graphql.conftest import make_user
from tests.live.clients import SSEStream, WSClient, sse_stream, ws_client
from tests.live.conftest import DISTRICT_CHANGED, PLACE_CHANGED, Writer
from tests.support.pg import PostgresDatabase, provision_postgres
from tests.support.serve import citygraph_serve

pytestmark = pytest.mark.postgres

CITYGRAPH = Path(sys.executable).with_name("citygraph")
ROUNDS = 30


@dataclass
class Pair:
    a: str
    b: str
    database_url: str


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    database = provision_postgres(fresh=True)
    if database is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("PostgreSQL is not reachable")
    try:
        yield from _serve_two(database, tmp_path_factory.mktemp("live-two"))
    finally:
        database.drop()


def _serve_two(database: PostgresDatabase, tmp: Path) -> Iterator[Pair]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYGRAPH_")}
    env.update(
        DATABASE_URL=database.url,
        CITYGRAPH_SECRET_KEY=TEST_SECRET,
        CITYGRAPH_LOG_LEVEL="warning",
        CITYGRAPH_RUNTIME_DIR=str(tmp / "runtime"),  # as if on two machines: nothing shared
    )
    subprocess.run([str(CITYGRAPH), "migrate"], env=env, check=True, capture_output=True)
    with contextlib.ExitStack() as stack:
        bases = []
        for name in ("a", "b"):
            instance = {
                **env,
                "CITYGRAPH_MEDIA_ROOT": str(tmp / f"{name}-media"),
                "CITYGRAPH_RUNTIME_DIR": str(tmp / f"{name}-runtime"),
            }
            folder = tmp / name
            folder.mkdir()
            served = stack.enter_context(citygraph_serve(instance, folder, "--host", "127.0.0.1"))
            bases.append(served.base_url)
        yield Pair(bases[0], bases[1], database.url)


@pytest.fixture(scope="module")
async def writer(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Writer]:
    settings = make_settings(pair.database_url, tmp_path_factory.mktemp("media"))
    services = Services.from_settings(settings)
    try:
        token = await make_user(services, "live-staff", staff=True)
    finally:
        await services.aclose()
    writer = Writer(pair.a, token)
    yield writer
    writer.http.close()


async def _listening(ws: WSClient) -> None:
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"


async def test_a_change_through_a_reaches_subscribers_on_b(pair: Pair, writer: Writer) -> None:
    district = await asyncio.to_thread(writer.create_district, "Округ двух процессов")
    async with (
        ws_client(pair.b) as ws,
        sse_stream(pair.b, PLACE_CHANGED) as places,
        sse_stream(pair.b, DISTRICT_CHANGED) as districts,
    ):
        place_op = await ws.subscribe(PLACE_CHANGED)
        district_op = await ws.subscribe(DISTRICT_CHANGED)
        await _listening(ws)

        place = await asyncio.to_thread(writer.create_place, "Через A", district)  # GraphQL
        for data in (await ws.next_data(place_op), await places.next_data()):
            change = data["placeChanged"]
            assert (change["kind"], change["id"], change["node"]["title"]) == (
                "CREATED",
                place,
                "Через A",
            )
        rest = await asyncio.to_thread(writer.create_district_rest, "Через REST на A")
        for data in (await ws.next_data(district_op), await districts.next_data()):
            assert data["districtChanged"]["kind"] == "CREATED"
            assert data["districtChanged"]["node"]["title"] == "Через REST на A"
            assert data["districtChanged"]["id"] == rest
        await asyncio.to_thread(writer.delete_place, place)
        for data in (await ws.next_data(place_op), await places.next_data()):
            assert data["placeChanged"] == {
                "kind": "DELETED",
                "id": place,
                "districtIds": [district],
                "node": None,
            }


async def _timed(receive: Callable[[], Awaitable[dict[str, Any]]]) -> float:
    await receive()
    return time.perf_counter()


async def test_delivery_latency_from_a_to_b(pair: Pair, writer: Writer) -> None:
    """From sending a mutation to A until B's subscriber has the change (median of ROUNDS)."""
    district = await asyncio.to_thread(writer.create_district, "Округ задержки")
    place = await asyncio.to_thread(writer.create_place, "Измеряемое место", district)
    ws_latency: list[float] = []
    sse_latency: list[float] = []
    round_trip: list[float] = []
    async with ws_client(pair.b) as ws, sse_stream(pair.b, PLACE_CHANGED) as stream:
        op = await ws.subscribe(PLACE_CHANGED)
        await _listening(ws)
        for n in range(ROUNDS):
            started = time.perf_counter()
            mutation = asyncio.ensure_future(
                asyncio.to_thread(writer.update_place, place, title=f"Версия {n}")
            )
            ws_at, sse_at = await asyncio.gather(
                _timed(lambda: ws.next_data(op)), _timed(_sse_next(stream))
            )
            await mutation
            round_trip.append(time.perf_counter() - started)
            ws_latency.append(ws_at - started)
            sse_latency.append(sse_at - started)
        # Delivery alone: from the NOTIFY a committed change sends to B's subscribers.
        notify_ws, notify_sse = await _from_notify(pair, ws, op, stream, place, district)
    figures = {
        "mutation on A -> ws on B": statistics.median(ws_latency) * 1000,
        "mutation on A -> sse on B": statistics.median(sse_latency) * 1000,
        "mutation round trip on A": statistics.median(round_trip) * 1000,
        "NOTIFY -> ws on B": statistics.median(notify_ws) * 1000,
        "NOTIFY -> sse on B": statistics.median(notify_sse) * 1000,
    }
    print(
        f"\n[live latency A->B, median of {ROUNDS}] "
        + ", ".join(f"{name} {ms:.1f} ms" for name, ms in figures.items())
    )
    assert all(ms < 2000 for ms in figures.values()), figures


async def _from_notify(
    pair: Pair, ws: WSClient, op: str, stream: SSEStream, place: int, district: int
) -> tuple[list[float], list[float]]:
    """Send the notification a committed update of ``place`` sends; time its arrival."""
    url = make_url(pair.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    payload = Change(Entity.PLACE, ChangeKind.UPDATED, place, (district,)).encode()
    ws_latency: list[float] = []
    sse_latency: list[float] = []
    try:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
            ws_at, sse_at = await asyncio.gather(
                _timed(lambda: ws.next_data(op)), _timed(_sse_next(stream))
            )
            ws_latency.append(ws_at - started)
            sse_latency.append(sse_at - started)
    finally:
        await connection.close()
    return ws_latency, sse_latency


def _sse_next(stream: SSEStream) -> Callable[[], Awaitable[dict[str, Any]]]:
    return stream.next_data
