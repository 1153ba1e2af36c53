"""The start page a person sees after ``make serve``, its stylesheet and the site icon."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from citygraph import __version__
from citygraph.web import assets, headers

STATIC_PATH = "/static"
#: The site's own files: the start page's and the account pages' (``account_pages``).
OWN_FILES = ("citygraph-home.css", "citygraph-home.js", "citygraph-account.js", "favicon.svg")
SITE_FILES = assets.own_files(*OWN_FILES)

PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>citygraph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/svg+xml" href="{static}/favicon.svg?v={token}">
<link rel="stylesheet" href="{static}/citygraph-home.css?v={token}">
<script src="{static}/citygraph-home.js?v={token}" defer></script>
</head><body>
<h1>citygraph <small>{version}</small></h1>
<p>Путеводитель по Москве: административные округа и места в них. A Moscow city guide
backend: districts (округа), places, photos and user accounts.</p>
<ul>
<li><a href="/graphql">GraphQL explorer</a> (GraphiQL) &mdash; the primary API at
<code>/graphql</code></li>
<li><a href="/api/docs">REST API docs</a> &mdash; the legacy REST compatibility layer
(<a href="/api/openapi.json">OpenAPI</a>)</li>
<li><a href="/admin/">Admin</a> &mdash; for staff accounts</li>
<li><a href="/readyz">Readiness</a> &middot; <a href="/healthz">liveness</a></li>
</ul>
</body></html>
"""
_HEADERS = headers.page_headers()


async def home(_request: Request) -> HTMLResponse:
    page = PAGE.format(
        version=__version__, static=STATIC_PATH, token=assets.version_token(SITE_FILES)
    )
    return HTMLResponse(page, headers=_HEADERS)


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET", "HEAD"]),
    *assets.static_routes(STATIC_PATH, SITE_FILES, name="site_static"),
    *assets.favicon_routes(),
]
