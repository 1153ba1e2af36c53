"""``/api/docs``: Swagger UI 5 (it reads OpenAPI 3.1) over ``/api/openapi.json``, for people.

Swagger UI's files are npm's ``swagger-ui-dist`` (``citygraph.web.bundles.SWAGGER_UI``), served
from this server under ``/api/docs/static/`` like GraphiQL's; the page's bootstrap code is
``citygraph/static/citygraph-docs.js``, so the page runs under a CSP with ``script-src 'self'``
and makes no request to another host (the online spec validator is off).
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from citygraph.web import assets, headers
from citygraph.web.bundles import SWAGGER_UI

STATIC_PATH = "/api/docs/static"
OWN_FILES = ("citygraph-docs.js", "citygraph-docs.css", "favicon.svg")
MISSING_ASSETS_MESSAGE = "Swagger UI assets are not installed: run `make assets`"

#: Swagger UI's stylesheet draws its arrows and icons as ``data:`` SVG images; its styles are
#: all in ``swagger-ui.css`` (React sets the rest through the CSSOM, which CSP allows).
IMG_SRC = (headers.SELF, "data:")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>citygraph REST API</title>
<link rel="icon" type="image/svg+xml" href="__STATIC__/favicon.svg?v=__VERSION__">
<link rel="stylesheet" href="__STATIC__/swagger-ui.css?v=__VERSION__">
<link rel="stylesheet" href="__STATIC__/citygraph-docs.css?v=__VERSION__">
</head>
<body>
<div id="swagger-ui" data-url="/api/openapi.json" data-missing="__MISSING__"></div>
<script src="__STATIC__/swagger-ui-bundle.js?v=__VERSION__"></script>
<script src="__STATIC__/swagger-ui-standalone-preset.js?v=__VERSION__"></script>
<script src="__STATIC__/citygraph-docs.js?v=__VERSION__"></script>
</body>
</html>
"""

_MISSING_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>citygraph REST API</title>
<link rel="icon" type="image/svg+xml" href="__STATIC__/favicon.svg?v=__VERSION__">
<link rel="stylesheet" href="__STATIC__/citygraph-docs.css?v=__VERSION__">
</head>
<body>
<p class="citygraph-docs-missing">__MISSING__
(the document itself is at <a href="/api/openapi.json">/api/openapi.json</a>)</p>
</body>
</html>
"""


def find_assets_dir() -> Path | None:
    return assets.find_node_modules(SWAGGER_UI)


def render_docs_html(assets_dir: Path | None) -> str:
    complete = assets_dir is not None and assets.is_complete(assets_dir, SWAGGER_UI)
    files = _files(assets_dir if complete else None)
    page = _PAGE if complete else _MISSING_PAGE
    for key, value in {
        "__STATIC__": STATIC_PATH,
        "__VERSION__": assets.version_token(files),
        "__MISSING__": html.escape(MISSING_ASSETS_MESSAGE, quote=True),
    }.items():
        page = page.replace(key, value)
    return page


def _files(assets_dir: Path | None) -> dict[str, Path]:
    return {**assets.bundle_files(SWAGGER_UI, assets_dir), **assets.own_files(*OWN_FILES)}


def routes(assets_dir: Path | None = None) -> list[BaseRoute]:
    """The page and its files; ``assets_dir`` defaults to ``find_assets_dir()``."""
    found = assets_dir if assets_dir is not None else find_assets_dir()
    page = render_docs_html(found)
    page_headers = headers.page_headers(img_src=IMG_SRC)

    async def docs(_request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    return [
        Route("/api/docs", docs, methods=["GET", "HEAD"]),
        *assets.static_routes(STATIC_PATH, _files(found), name="swagger_ui_static"),
    ]
