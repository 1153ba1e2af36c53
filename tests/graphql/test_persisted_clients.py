"""Persisted operations with the clients front-end teams use, against a real server (uvicorn):
Apollo Client 4's ``PersistedQueryLink`` falls back to sending the document once, then sends
the hash alone (POST, and GET with ETags); a manifest GraphQL Code Generator's client preset
writes (``persistedDocuments: true``) is what trusted-documents mode runs, by the ids the
generated client code carries.

Needs Node and ``assets/node_modules`` (``make assets``): skipped loudly locally without them,
a failure in CI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from citygraph.config import Settings
from citygraph.domain import districts
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.node import NODE_MODULES, REPO, require_node, run
from tests.support.server import live_server

APOLLO_SCRIPT = REPO / "tests" / "graphql" / "apollo_apq.mjs"
CODEGEN = NODE_MODULES / ".bin" / "graphql-codegen"


async def add_districts(services: Services, *titles: str) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        for title in titles:
            await districts.create_district(uow, districts.DistrictForm.parse(title=title))


def run_apollo(settings: Settings, mode: str) -> dict[str, Any]:
    node = require_node("@apollo/client", "rxjs")
    with live_server(settings) as base_url:
        done = run([node, str(APOLLO_SCRIPT), f"{base_url}/graphql", mode])
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("mode", ["post", "get"])
async def test_apollo_persisted_query_link_falls_back_then_hits(
    settings: Settings, services: Services, mode: str
) -> None:
    await add_districts(services, "Центральный", "Северный")
    outcome = run_apollo(settings, mode)
    hashed = "GET" if mode == "get" else "POST"
    sent = [(r["client"], r["method"], r["sentQuery"], r["sentHash"]) for r in outcome["requests"]]
    assert sent == [
        ("A", hashed, False, True),  # the hash alone: unknown
        ("A", "POST", True, True),  # the fallback: document and hash
        ("A", hashed, False, True),  # the hash alone: known now
        ("B", hashed, False, True),  # another client: known already
    ]
    first = outcome["requests"][0]
    assert first["status"] == 200
    assert json.loads(first["body"])["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    titles = [[district["title"] for district in data["districts"]] for data in outcome["results"]]
    assert titles == [["Центральный", "Северный"]] * 3
    hits = outcome["requests"][2:]
    if mode == "get":  # what a CDN sees: a URL with a validator, to revalidate every time
        assert all(r["cacheControl"] == "public, max-age=0, must-revalidate" for r in hits)
        assert hits[0]["etag"] == hits[1]["etag"] is not None
    else:
        assert all(r["cacheControl"] == "private, no-cache" for r in hits)


SOURCE = """\
import { graphql } from '../gql';

export const DistrictTitles = graphql(`
  query DistrictTitles {
    districts {
      id
      title
    }
  }
`);

export const PlaceTitle = graphql(`
  query PlaceTitle($id: Int!) {
    place(id: $id) {
      title
    }
  }
`);
"""


def generate_manifest(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Run GraphQL Code Generator's client preset on a small app: the manifest, and the
    operations' ids as the generated client code carries them."""
    require_node("@graphql-codegen/cli", "@graphql-codegen/client-preset")
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "queries.ts").write_text(SOURCE, encoding="utf-8")
    config = {
        "schema": str(REPO / "schema.graphql"),
        "documents": [str(app / "src" / "*.ts")],
        "generates": {
            f"{app / 'gql'}/": {
                "preset": "client",
                "presetConfig": {"persistedDocuments": True},
            }
        },
    }
    config_file = app / "codegen.json"
    config_file.write_text(json.dumps(config), encoding="utf-8")
    # From the assets folder, so that the preset resolves from its node_modules.
    done = run([str(CODEGEN), "--config", str(config_file)], cwd=REPO / "assets")
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (app / "gql" / "graphql.ts").read_text(encoding="utf-8")
    meta = r"export const (\w+)Document = .*?\"__meta__\":\{\"hash\":\"([\w:]+)\"\}"
    ids = dict(re.findall(meta, generated))
    return app / "gql" / "persisted-documents.json", ids


async def test_a_codegen_manifest_is_what_trusted_documents_mode_runs(
    database_url: str, tmp_path: Path, services: Services
) -> None:
    manifest, ids = generate_manifest(tmp_path)
    assert set(ids) == {"DistrictTitles", "PlaceTitle"}
    assert set(json.loads(manifest.read_text(encoding="utf-8"))) == set(ids.values())
    await add_districts(services, "Центральный")
    settings = make_settings(
        database_url, tmp_path / "media", CITYGRAPH_TRUSTED_DOCUMENTS=str(manifest)
    )
    with live_server(settings) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            by_id = await client.post("/graphql", json={"documentId": ids["DistrictTitles"]})
            by_get = await client.get(
                "/graphql",
                params={"documentId": ids["PlaceTitle"], "variables": json.dumps({"id": 1})},
            )
            text = await client.post("/graphql", json={"query": "{ districts { id } }"})
    assert by_id.json() == {"data": {"districts": [{"id": 1, "title": "Центральный"}]}}
    assert by_get.json() == {"data": {"place": None}}
    assert by_get.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert text.status_code == 400
    assert text.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
