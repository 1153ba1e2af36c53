"""Subscriptions over graphql-transport-ws and graphql-sse against a real uvicorn, on SQLite
(in-process fan-out) and PostgreSQL (NOTIFY): changes made through GraphQL and REST arrive as
CREATED, UPDATED and DELETED with the node as it is now."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.live.clients import sse_stream, ws_client
from tests.live.conftest import (
    DELETE_DISTRICT,
    DISTRICT_CHANGED,
    PLACE_CHANGED,
    UPDATE_DISTRICT,
    Live,
)


async def _ready(ws: Any) -> None:
    """A pong answers a ping sent after a subscribe, so the subscription listens by then."""
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"


async def test_ws_place_created_updated_deleted(live: Live) -> None:
    district = live.writer.create_district("Округ ws")
    async with ws_client(live.base, {"Authorization": f"JWT {live.staff_token}"}) as ws:
        op = await ws.subscribe(PLACE_CHANGED)
        await _ready(ws)
        place = await asyncio.to_thread(live.writer.create_place, "Парк Горького", district)
        created = (await ws.next_data(op))["placeChanged"]
        assert created == {
            "kind": "CREATED",
            "id": place,
            "districtIds": [district],
            "node": {"id": place, "title": "Парк Горького", "district": {"id": district}},
        }
        await asyncio.to_thread(live.writer.update_place, place, title="Парк Зарядье")
        updated = (await ws.next_data(op))["placeChanged"]
        assert (updated["kind"], updated["node"]["title"]) == ("UPDATED", "Парк Зарядье")
        await asyncio.to_thread(live.writer.delete_place, place)
        deleted = (await ws.next_data(op))["placeChanged"]
        assert deleted == {"kind": "DELETED", "id": place, "districtIds": [district], "node": None}
        await ws.send({"type": "complete", "id": op})
        await _ready(ws)  # nothing else was pending: the next message is the pong


async def test_sse_place_created_updated_deleted(live: Live) -> None:
    district = live.writer.create_district("Округ sse")
    async with sse_stream(live.base, PLACE_CHANGED) as stream:  # anonymous: public data
        place = await asyncio.to_thread(live.writer.create_place, "ВДНХ", district)
        created = (await stream.next_data())["placeChanged"]
        assert created["kind"] == "CREATED" and created["node"]["title"] == "ВДНХ"
        await asyncio.to_thread(live.writer.update_place, place, type="PARK")
        assert (await stream.next_data())["placeChanged"]["kind"] == "UPDATED"
        await asyncio.to_thread(live.writer.delete_place, place)
        deleted = (await stream.next_data())["placeChanged"]
        assert (deleted["kind"], deleted["id"], deleted["node"]) == ("DELETED", place, None)


async def test_district_changes_from_rest_and_graphql_reach_both_protocols(live: Live) -> None:
    async with (
        ws_client(live.base) as ws,
        sse_stream(live.base, DISTRICT_CHANGED, token=live.staff_token) as stream,
    ):
        op = await ws.subscribe(DISTRICT_CHANGED)
        await _ready(ws)
        district = await asyncio.to_thread(live.writer.create_district_rest, "Новый округ")
        expected = {"id": district, "title": "Новый округ", "abbreviation": "ТСТ"}
        for data in (await ws.next_data(op), await stream.next_data()):
            assert data["districtChanged"] == {"kind": "CREATED", "id": district, "node": expected}
        await asyncio.to_thread(live.writer.graphql, UPDATE_DISTRICT, id=district, t="Переименован")
        for data in (await ws.next_data(op), await stream.next_data()):
            change = data["districtChanged"]
            assert (change["kind"], change["node"]["title"]) == ("UPDATED", "Переименован")
        await asyncio.to_thread(live.writer.graphql, DELETE_DISTRICT, id=district)
        for data in (await ws.next_data(op), await stream.next_data()):
            assert data["districtChanged"] == {"kind": "DELETED", "id": district, "node": None}


async def test_district_filter_and_a_place_that_moves(live: Live) -> None:
    a = live.writer.create_district("Округ А")
    b = live.writer.create_district("Округ Б")
    async with ws_client(live.base) as ws:
        op = await ws.subscribe(PLACE_CHANGED, {"districtId": b})
        await _ready(ws)
        place = await asyncio.to_thread(live.writer.create_place, "В округе А", a)
        await asyncio.to_thread(live.writer.update_place, place, districtId=b)
        moved = (await ws.next_data(op))["placeChanged"]  # A's creation was not for us
        assert (moved["kind"], moved["districtIds"]) == ("UPDATED", [a, b])
        assert moved["node"]["district"] == {"id": b}
        other = await asyncio.to_thread(live.writer.create_place, "Ещё в А", a)
        await asyncio.to_thread(live.writer.delete_place, place)
        gone = (await ws.next_data(op))["placeChanged"]
        assert (gone["kind"], gone["id"]) == ("DELETED", place)
        assert other != place


@pytest.mark.parametrize("authorization", ["JWT not-a-token", "Bearer a.b.c", "JWT"])
async def test_a_bad_token_is_refused(live: Live, authorization: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from tests.live.clients import SUBPROTOCOL, ws_url

    async with connect(ws_url(live.base), subprotocols=[SUBPROTOCOL]) as connection:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": authorization}}
        await connection.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(connection.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    import httpx

    async with httpx.AsyncClient(base_url=live.base) as client:
        response = await client.post(
            "/graphql",
            json={"query": DISTRICT_CHANGED},
            headers={"Accept": "text/event-stream", "Authorization": authorization},
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
