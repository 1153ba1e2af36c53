"""The app's router answers every request as Starlette's plain scan of the same routes does,
with its fixed paths found by a dictionary lookup (``citygraph.web.routing``)."""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Host, Mount, Route, Router

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.services import Services
from citygraph.web.routing import IndexedRouter, static_index

METHODS = ("GET", "HEAD", "OPTIONS", "PATCH", "DELETE")
OTHER_PATHS = (
    "/nope",
    "/api/v1/disticts/extra",
    "/api/v1/places/?district_id=1",
    "/api/v1/disticts?format=json",
    "/auth/users/5/",
    "/auth/users/a.b/",
    "/auth/jwt/create",
    "/auth/jwt/verify/anything",
    "/healthz/",
    "/graphql/",
    "/admin",
    "/media/districts/none.jpg",
)


async def test_the_index_answers_as_the_scan_does(settings: Settings, services: Services) -> None:
    indexed = create_app(settings, services=services)
    assert isinstance(indexed.router, IndexedRouter)
    fixed = sorted(indexed.router._static())
    assert "/api/v1/disticts/" in fixed
    assert "/auth/users/me/" in fixed
    scanning = create_app(settings, services=services)
    scanning.router = Router(list(scanning.router.routes))
    assert type(scanning.router) is Router
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=indexed), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=scanning), base_url="http://t") as b,
    ):
        for path in (*fixed, *OTHER_PATHS):
            for method in METHODS:
                one, other = await a.request(method, path), await b.request(method, path)
                counts = path == "/metrics"  # its body counts this very traffic
                seen = (method, path, one.status_code, _headers(one, counts))
                assert seen == (method, path, other.status_code, _headers(other, counts))
                if not counts:
                    assert one.content == other.content, (method, path)


def _headers(response: httpx.Response, counts: bool) -> dict[str, str]:
    names = ("location", "allow", "content-type", "vary", *(() if counts else ("content-length",)))
    return {name: response.headers[name] for name in names if name in response.headers}


async def _nothing(_request: Request) -> Response:
    return Response(b"")


def test_a_path_an_earlier_route_can_match_is_left_to_the_scan() -> None:
    first, second = Route("/a", _nothing), Route("/a", _nothing, methods=["POST"])
    routes = [
        Route("/p/{name}", _nothing),
        Route("/p/fixed", _nothing),
        Mount("/m", routes=[Route("/x", _nothing)]),
        Route("/m/x", _nothing),
        first,
        second,
        Host("example.com", _nothing),
        Route("/after-host", _nothing),
    ]
    assert static_index(routes) == {"/a": first}
