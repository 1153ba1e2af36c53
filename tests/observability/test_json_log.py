"""``CITYGRAPH_LOG_FORMAT=json``: a real ``citygraph serve`` writes one JSON object per line,
and one access line per request with its request id, face, route or operation, status,
duration and user id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from citygraph.logs import uvicorn_access_log
from tests.conftest import make_settings
from tests.support.serve import citygraph_serve

PASSWORD = "Xy7!pQz9-long"


def test_one_json_line_per_request(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'log.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
        CITYGRAPH_BCRYPT_ROUNDS="4",
        CITYGRAPH_LOG_FORMAT="json",
    )
    cli = [sys.executable, "-m", "citygraph.cli"]
    subprocess.run([*cli, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    made = subprocess.run(
        [*cli, "createsuperuser", "--username", "olga", "--email", "", "--password", PASSWORD],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    user_id = int(made.stdout.split("(id ")[1].rstrip(")\n"))

    with (
        citygraph_serve(env, tmp_path) as served,
        httpx.Client(base_url=served.base_url) as client,
    ):
        listing = client.get("/api/v1/disticts/", headers={"X-Request-ID": "req-list-1"})
        assert listing.status_code == 200
        tokens = client.post(
            "/graphql",
            json={
                "query": "mutation Login($p: String!) "
                '{ createToken(username: "olga", password: $p) { access } }',
                "variables": {"p": PASSWORD},
            },
        ).json()
        access = tokens["data"]["createToken"]["access"]
        me = client.post(
            "/graphql",
            json={"query": "query Me { me { id } }"},
            headers={"Authorization": f"JWT {access}", "X-Request-ID": "req-me-1"},
        )
        assert me.json() == {"data": {"me": {"id": user_id}}}
        missing = client.get("/nowhere")
        assert missing.status_code == 404

    lines = [line for line in served.stdout.read_text().splitlines() if line.strip()]
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # every line is JSON
    access_lines = [record for record in records if record["logger"] == "citygraph.access"]
    healthz = [line for line in access_lines if line["route"] == "/healthz"]
    assert len(access_lines) == 4 + len(healthz)  # one per request, uvicorn's own line is off
    assert not [record for record in records if record["logger"] == "uvicorn.access"]

    by_id = {record["request_id"]: record for record in access_lines}
    listed = by_id["req-list-1"]
    assert listed["face"] == "rest"
    assert listed["route"] == "/api/v1/disticts/"
    assert listed["method"] == "GET"
    assert listed["status"] == 200
    assert listed["user_id"] is None
    assert listed["operation"] is None
    assert isinstance(listed["duration_ms"], float) and listed["duration_ms"] > 0
    assert listed["level"] == "info" and listed["time"].endswith("+00:00")

    mine = by_id["req-me-1"]
    assert (mine["face"], mine["operation"], mine["status"]) == ("graphql", "Me", 200)
    assert mine["user_id"] == user_id

    [login] = [record for record in access_lines if record["operation"] == "Login"]
    assert login["user_id"] is None  # logging in is not being signed in
    assert len(login["request_id"]) == 32  # generated when the client sends none

    [lost] = [record for record in access_lines if record["status"] == 404]
    assert (lost["face"], lost["route"]) == ("site", "(unmatched)")


def test_uvicorn_writes_access_lines_only_where_they_show(tmp_path: Path) -> None:
    def access_log(level: str, fmt: str) -> bool:
        settings = make_settings(
            "sqlite+aiosqlite://", tmp_path, CITYGRAPH_LOG_LEVEL=level, CITYGRAPH_LOG_FORMAT=fmt
        )
        return uvicorn_access_log(settings)

    assert (
        access_log("info", "text") and access_log("DEBUG", "text") and access_log("trace", "text")
    )
    assert not access_log("warning", "text") and not access_log("Error", "text")
    assert not access_log("info", "json")  # citygraph's own line replaces uvicorn's
