"""Every unhandled error is a complete 500 in the face's format, with ``X-Request-ID``, and the
keep-alive connection it came on keeps working (a real uvicorn, one reused connection)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from citygraph.app import create_app
from citygraph.config import Settings
from compat.endpoint import Call, Endpoint
from tests.conftest import make_settings
from tests.support.server import free_port


class Boom(RuntimeError):
    pass


async def fail(_request: Request) -> JSONResponse:
    raise Boom("secret detail that must not leak")


async def peer(request: Request) -> JSONResponse:
    """The client's address as the server sees it: same port, same connection."""
    assert request.client is not None
    return JSONResponse({"port": request.client.port})


async def failing_handler(_call: Call) -> Response:
    raise Boom("secret detail that must not leak")


def app_with_failing_routes(settings: Settings) -> Starlette:
    """The production app plus test-only routes that genuinely raise, on each face's paths."""
    app = create_app(settings)
    extra = [
        Route("/boom/", fail, methods=["GET", "POST"]),
        # A REST endpoint like every other, whose handler fails
        Route(
            "/api/v1/boom/", Endpoint(allow="GET, HEAD, OPTIONS", handlers={"GET": failing_handler})
        ),
        Route("/graphql/boom", fail, methods=["GET", "POST"]),
        Route("/admin/boom", fail),
        Route("/peer/", peer),
    ]
    app.router.routes[0:0] = extra
    return app


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    settings = make_settings(database_url, tmp_path / "media", CITYGRAPH_RESPONSE_CACHE=False)
    port = free_port()
    config = uvicorn.Config(
        app_with_failing_routes(settings),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def one_connection(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=10,
    )


def test_rest_500_keeps_the_connection(server: str, caplog: pytest.LogCaptureFixture) -> None:
    with one_connection(server) as client:
        before = client.get("/peer/").json()["port"]
        for method in ("GET", "POST"):
            response = client.request(method, "/boom/", headers={"X-Request-ID": "req-42"})
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/json"
            assert response.headers["x-request-id"] == "req-42"
            assert response.json() == {"detail": "A server error occurred."}
            assert "secret" not in response.text
            assert response.headers.get("connection") != "close"
            assert "allow" not in response.headers  # no REST endpoint was reached
        after = client.get("/peer/")
        assert after.status_code == 200
        assert after.json()["port"] == before  # the same keep-alive connection
        # ... and the real API still answers on it
        assert client.get("/api/v1/disticts/").status_code == 200
    logged = [r for r in caplog.records if r.name == "citygraph.errors"]
    assert any("req-42" in r.getMessage() and r.exc_info for r in logged)


def test_rest_endpoint_500_has_the_routes_allow_and_vary(server: str) -> None:
    """DRF puts ``Allow`` and ``Vary: Accept`` on every answer of an endpoint, a 500 included."""
    with one_connection(server) as client:
        response = client.get("/api/v1/boom/", headers={"X-Request-ID": "rest-9"})
        assert response.status_code == 500
        assert response.json() == {"detail": "A server error occurred."}
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        assert response.headers["vary"] == "Accept"
        assert response.headers["x-request-id"] == "rest-9"
        # the next request on the connection starts with a clean record
        assert "allow" not in client.get("/boom/").headers
        assert client.get("/api/v1/disticts/").headers["allow"] == "GET, HEAD, OPTIONS"


def test_graphql_500_is_graphql_json(server: str) -> None:
    with one_connection(server) as client:
        before = client.get("/peer/").json()["port"]
        response = client.post(
            "/graphql/boom", json={"query": "{__typename}"}, headers={"X-Request-ID": "gq-7"}
        )
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-request-id"] == "gq-7"
        # the same masked error a failing resolver gets
        assert response.json() == {
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "gq-7"},
                }
            ]
        }
        again = client.post("/graphql", json={"query": "{__typename}"})
        assert again.json() == {"data": {"__typename": "Query"}}
        assert client.get("/peer/").json()["port"] == before


def test_admin_500_is_an_admin_page(server: str) -> None:
    with one_connection(server) as client:
        response = client.get("/admin/boom")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["x-request-id"]
        assert "Server error" in response.text
        assert "secret" not in response.text
        assert client.get("/healthz").status_code == 200
