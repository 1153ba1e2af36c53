"""Request ids: a safe id the client sends is kept; otherwise each request gets a new one of 32
hex digits, never repeated (not across requests, not in a forked worker); ``X-Request-ID`` is on
every answer exactly once."""

from __future__ import annotations

import os
import re

import httpx

from citygraph.web.middleware import _with_header, new_request_id

HEX32 = re.compile(r"[0-9a-f]{32}")


async def test_generated_ids_are_new_each_time(client: httpx.AsyncClient) -> None:
    ids = []
    for _ in range(50):
        response = await client.get("/healthz")
        assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]
        ids.append(response.headers["x-request-id"])
    assert all(HEX32.fullmatch(value) for value in ids)
    assert len(set(ids)) == len(ids)


async def test_a_safe_client_id_is_kept_and_an_unsafe_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/api/v1/disticts/", headers={"X-Request-ID": "client.id-7_x"})
    assert kept.headers.get_list("x-request-id") == ["client.id-7_x"]
    for unsafe in ("has space", "x" * 65, ""):
        replaced = await client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert HEX32.fullmatch(replaced.headers["x-request-id"]), unsafe


def test_the_header_takes_the_place_of_one_already_set() -> None:
    header = (b"x-request-id", b"new")
    assert _with_header([(b"a", b"1")], header) == [(b"a", b"1"), header]
    existing = [(b"x-request-id", b"old"), (b"a", b"1"), (b"x-request-id", b"older")]
    assert _with_header(existing, header) == [header, (b"a", b"1")]


def test_a_forked_worker_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then gone
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = new_request_id()
    assert HEX32.fullmatch(child) and HEX32.fullmatch(parent)
    assert child[:16] != parent[:16]
