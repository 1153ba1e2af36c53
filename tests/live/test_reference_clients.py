"""The protocols' own clients (npm ``graphql-ws`` and ``graphql-sse``, by their author) receive
created/updated/deleted places from a real server: the transports speak the protocols, not just
our reading of them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import Live

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "live" / "reference_clients.mjs"
MODULES = REPO / "assets" / "node_modules"
CLIENTS = ("ws", "sse")


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (MODULES / "graphql-sse" / "package.json").exists():
        message = "reference clients NOT RUN: needs node and `make assets`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return node


async def _events(process: asyncio.subprocess.Process, wanted: int) -> list[dict[str, Any]]:
    """The next ``wanted`` events, whichever client printed them."""
    assert process.stdout is not None
    events = []
    for _ in range(wanted):
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert line, "the reference clients exited"
        events.append(json.loads(line))
    return events


async def test_reference_clients_receive_created_updated_deleted(live: Live) -> None:
    node = _node()
    district = await asyncio.to_thread(live.writer.create_district, "Округ клиентов")
    place = await asyncio.to_thread(live.writer.create_place, "Начало", district)
    process = await asyncio.create_subprocess_exec(
        node, str(SCRIPT), live.base, live.staff_token, stdout=asyncio.subprocess.PIPE
    )
    try:
        # Neither client says when the server listens: change until both have heard a change.
        heard: set[str] = set()
        for attempt in range(50):
            await asyncio.to_thread(live.writer.update_place, place, title=f"Разминка {attempt}")
            assert process.stdout is not None
            try:
                while heard != set(CLIENTS):
                    line = await asyncio.wait_for(process.stdout.readline(), 0.5)
                    event = json.loads(line)
                    assert event["event"] == "next", event
                    heard.add(event["client"])
            except TimeoutError:
                continue
            break
        assert heard == set(CLIENTS)
        await _drain(process)

        await asyncio.to_thread(live.writer.update_place, place, title="Финал")
        updated = await _events(process, 2)
        assert {e["client"] for e in updated} == set(CLIENTS)
        for event in updated:
            change = event["payload"]["data"]["placeChanged"]
            assert (change["kind"], change["node"]) == ("UPDATED", {"title": "Финал"})
        await asyncio.to_thread(live.writer.delete_place, place)
        for event in await _events(process, 2):
            assert event["payload"]["data"]["placeChanged"] == {
                "kind": "DELETED",
                "id": place,
                "node": None,
            }
        new = await asyncio.to_thread(live.writer.create_place, "Новое", district)
        for event in await _events(process, 2):
            change = event["payload"]["data"]["placeChanged"]
            assert (change["kind"], change["id"]) == ("CREATED", new)
    finally:
        process.terminate()
        await process.wait()


async def _drain(process: asyncio.subprocess.Process) -> None:
    """Forget what the clients print about the warm-up (until half a second of silence)."""
    assert process.stdout is not None
    while True:
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 0.5)
        except TimeoutError:
            return
        assert json.loads(line)["event"] == "next", line
