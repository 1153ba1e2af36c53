"""Persisted operations over HTTP, on SQLite and PostgreSQL: Apollo's automatic persisted
queries (registered once, shared by every worker, GET-able by hash) and trusted documents
(only a manifest's documents run). Real clients (Apollo Client, GraphQL Code Generator) are in
``test_persisted_clients.py``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from citygraph.app import create_app
from citygraph.cli import main
from citygraph.config import Settings
from citygraph.domain import documents
from citygraph.domain.documents import ManifestError
from citygraph.services import Services
from tests.conftest import make_settings
from tests.graphql.conftest import seed

QUERY = "query Districts { districts { id title } }"
BROKEN = "query Broken { districts { nope } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str, **extra: Any) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}, **extra}


def get_params(body: dict[str, Any]) -> dict[str, str]:
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in body.items()
    }


async def rows_of(services: Services) -> list[str]:
    async with services.engine.connect() as connection:
        result = await connection.execute(documents.TABLE.select())
        return [row.sha256 for row in result]


# --- automatic persisted queries ------------------------------------------------------------


async def test_unknown_hash_asks_for_the_document_then_the_hash_alone_is_enough(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seed(services, districts=2, places_per_district=0)
    digest = sha256(QUERY)
    unknown = await client.post("/graphql", json=apq(digest))
    assert unknown.status_code == 200
    assert unknown.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert unknown.headers["cache-control"] == "no-store"
    assert "etag" not in unknown.headers

    registered = await client.post("/graphql", json=apq(digest, query=QUERY))
    assert registered.status_code == 200
    data = registered.json()["data"]
    assert [d["title"] for d in data["districts"]] == ["District 0", "District 1"]
    assert await rows_of(services) == [digest]

    by_hash = await client.post("/graphql", json=apq(digest))
    assert by_hash.json() == {"data": data}
    by_get = await client.get("/graphql", params=get_params(apq(digest)))
    assert by_get.status_code == 200
    assert by_get.json() == {"data": data}
    assert by_get.headers["cache-control"] == "public, max-age=0, must-revalidate"
    revalidated = await client.get(
        "/graphql",
        params=get_params(apq(digest)),
        headers={"If-None-Match": by_get.headers["etag"]},
    )
    assert (revalidated.status_code, revalidated.content) == (304, b"")


async def test_get_by_hash_alone_is_not_the_ide(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params=get_params(apq(sha256(QUERY))), headers={"Accept": "*/*"}
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_of_another_document_is_refused_and_not_kept(
    client: httpx.AsyncClient, services: Services
) -> None:
    wrong = await client.post("/graphql", json=apq(sha256("{ me { id } }"), query=QUERY))
    assert wrong.status_code == 400
    assert wrong.json() == {"errors": [{"message": "provided sha does not match query"}]}
    malformed = await client.post("/graphql", json=apq("not-a-hash", query=QUERY))
    assert malformed.status_code == 400
    assert await rows_of(services) == []


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}}, "version"),
        ({"persistedQuery": {"version": 1}}, "sha256Hash"),
        ({"persistedQuery": "yes"}, "persistedQuery"),
    ],
)
async def test_bad_persisted_query_extensions_are_400(
    client: httpx.AsyncClient, extensions: dict[str, Any], message: str
) -> None:
    response = await client.post("/graphql", json={"query": QUERY, "extensions": extensions})
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


async def test_an_invalid_document_is_answered_but_never_registered(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await client.post("/graphql", json=apq(sha256(BROKEN), query=BROKEN))
    assert response.json()["errors"][0]["message"].startswith("Cannot query field 'nope'")
    assert await rows_of(services) == []


async def test_a_document_too_long_to_keep_still_runs(client: httpx.AsyncClient) -> None:
    long = QUERY + " " * documents.MAX_DOCUMENT_CHARS
    ran = await client.post("/graphql", json=apq(sha256(long), query=long))
    assert ran.json() == {"data": {"districts": []}}
    again = await client.post("/graphql", json=apq(sha256(long)))
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_registered_through_one_worker_is_known_to_another(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await seed(services, districts=1, places_per_district=0)
    digest = sha256(QUERY)
    assert (await client.post("/graphql", json=apq(digest, query=QUERY))).status_code == 200
    other_services = Services.from_settings(settings)  # another process: its own memory
    try:
        transport = httpx.ASGITransport(app=create_app(settings, services=other_services))
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
            answer = await other.post("/graphql", json=apq(digest))
    finally:
        await other_services.aclose()
    assert answer.json() == {"data": {"districts": [{"id": 1, "title": "District 0"}]}}


async def test_mutations_persist_too(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    mutation = 'mutation { createDistrict(input: {title: "Новый"}) { title } }'
    headers = {"Authorization": f"JWT {staff_token}"}
    first = await client.post(
        "/graphql", json=apq(sha256(mutation), query=mutation), headers=headers
    )
    again = await client.post("/graphql", json=apq(sha256(mutation)), headers=headers)
    for response in (first, again):
        assert response.json() == {"data": {"createDistrict": {"title": "Новый"}}}
        assert response.headers["cache-control"] == "private, no-store"


async def test_the_table_keeps_the_newest_documents(services: Services) -> None:
    texts = [f"query Q{n} {{ districts {{ id }} }}" for n in range(4)]
    for text in texts:
        await documents.register(services.engine, sha256(text), text, keep=2)
    assert sorted(await rows_of(services)) == sorted(sha256(t) for t in texts[2:])
    assert await documents.find_registered(services.engine, sha256(texts[0])) is None
    assert await documents.find_registered(services.engine, sha256(texts[3])) == texts[3]
    with pytest.raises(documents.UnusableDocument):
        await documents.register(services.engine, sha256(texts[0]), texts[1])
    long = "{ districts { id } }" + " " * documents.MAX_DOCUMENT_CHARS
    await documents.register(services.engine, sha256(long), long)
    assert await documents.find_registered(services.engine, sha256(long)) is None


# --- trusted documents ------------------------------------------------------------------------

DISTRICTS_ID = sha256(QUERY)
TITLE_QUERY = "query Title($id: Int!) { district(id: $id) { title } }"


@pytest.fixture
async def trusted(
    database_url: str, tmp_path: Path, services: Services
) -> AsyncIterator[httpx.AsyncClient]:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(
        json.dumps({DISTRICTS_ID: QUERY, "sha256:title-1": TITLE_QUERY}), encoding="utf-8"
    )
    settings = make_settings(
        database_url, tmp_path / "media", CITYGRAPH_TRUSTED_DOCUMENTS=str(manifest)
    )
    await seed(services, districts=1, places_per_district=0)
    own = Services.from_settings(settings)
    transport = httpx.ASGITransport(app=create_app(settings, services=own))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await own.aclose()


async def test_trusted_documents_run_by_id(trusted: httpx.AsyncClient) -> None:
    expected = {"data": {"districts": [{"id": 1, "title": "District 0"}]}}
    for body in (
        {"documentId": DISTRICTS_ID},
        {"documentId": f"sha256:{DISTRICTS_ID}"},
        {"doc_id": DISTRICTS_ID},
        apq(DISTRICTS_ID),
        {"documentId": DISTRICTS_ID, "query": QUERY},
    ):
        response = await trusted.post("/graphql", json=body)
        assert response.json() == expected, body
    title = await trusted.get(
        "/graphql", params={"documentId": "title-1", "variables": json.dumps({"id": 1})}
    )
    assert title.json() == {"data": {"district": {"title": "District 0"}}}
    assert "etag" in title.headers


async def test_anything_else_is_refused_when_documents_are_trusted(
    trusted: httpx.AsyncClient, services: Services
) -> None:
    text_only = await trusted.post("/graphql", json={"query": QUERY})
    assert text_only.status_code == 400
    error = text_only.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert "only its trusted documents" in error["message"]
    by_get = await trusted.get("/graphql", params={"query": QUERY})
    assert by_get.status_code == 400

    unknown = await trusted.post("/graphql", json={"documentId": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == "No trusted document has the id 'nope'."

    other_text = await trusted.post(
        "/graphql", json={"documentId": DISTRICTS_ID, "query": "{ me { id } }"}
    )
    assert other_text.status_code == 400

    registration = await trusted.post(
        "/graphql", json=apq(sha256("{ me { id } }"), query="{ me { id } }")
    )
    assert registration.status_code == 400
    assert await rows_of(services) == []


def test_manifest_formats(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "abc", "name": "Districts", "type": "query", "body": QUERY}],
            }
        ),
        encoding="utf-8",
    )
    assert documents.load_manifest(path) == {"abc": QUERY}
    for bad in (
        "[]",
        "{}",
        '{"a": 1}',
        "not json",
        '{"format": "apollo-persisted-query-manifest"}',
    ):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ManifestError):
            documents.load_manifest(path)
    with pytest.raises(ManifestError, match="cannot read"):
        documents.load_manifest(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"id": ""}, "is not a GraphQL string"),
        ({"old": "{ profile(id: 1) { id } }"}, "'old' is not valid for this schema: Cannot query"),
        ({"cut": "{ districts { id }"}, "'cut' is not valid for this schema: Syntax Error"),
    ],
)
def test_the_app_does_not_start_with_a_bad_manifest(
    database_url: str, tmp_path: Path, manifest: dict[str, str], message: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    settings = make_settings(
        database_url, tmp_path / "media", CITYGRAPH_TRUSTED_DOCUMENTS=str(path)
    )
    with pytest.raises(ManifestError, match=message):
        create_app(settings)


def test_serve_says_why_it_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"old": "{ profile(id: 1) { id } }"}), encoding="utf-8")
    monkeypatch.setenv("CITYGRAPH_TRUSTED_DOCUMENTS", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["serve", "--port", "0"]) == 2
    assert "'old' is not valid for this schema" in capsys.readouterr().err
