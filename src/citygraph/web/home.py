"""The start page a person sees after ``make serve``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from citygraph import __version__

PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>citygraph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#222}}a{{color:#0b5cad}}code{{background:#f2f2f2;padding:0 .25rem}}</style>
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


async def home(_request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.format(version=__version__))


routes = [Route("/", home, methods=["GET", "HEAD"])]
