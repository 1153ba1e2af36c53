"""Offline GraphiQL: the explorer page and the routes that serve its files.

Strawberry's stock page loads React, GraphiQL and the explorer plugin from a CDN and runs an
inline script. This page loads the same UMD builds from this server (the npm files listed in
``citygraph.web.bundles.GRAPHIQL``, found by ``citygraph.web.assets``) and its bootstrap code
from ``citygraph/static/citygraph-graphiql.js``, so ``GET /graphql`` works with no network access,
never talks to another host, and runs under a CSP without ``'unsafe-inline'`` scripts.

Wiring, in the app::

    assets_dir = find_assets_dir()
    routes = [*graphiql_routes(assets_dir), Route("/graphql", graphql_app), ...]

and in the strawberry ``GraphQL`` subclass::

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response(assets_dir=assets_dir)
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute

from citygraph.web import assets, headers
from citygraph.web.bundles import GRAPHIQL

ASSETS_ENV_VAR = "CITYGRAPH_GRAPHIQL_ASSETS"

#: Where the routes serve the files.
STATIC_PATH = "/graphql/static"

#: How the page refers to the files. Relative to the page: from ``/graphql`` it resolves
#: to ``/graphql/static/...``, and it still works when the app is mounted under a prefix.
DEFAULT_STATIC_URL = "graphql/static/"

#: Public name -> path inside ``node_modules``. Only these (and ``OWN_FILES``) are served.
ASSET_FILES: dict[str, str] = GRAPHIQL.files

#: The page's own files, from ``citygraph/static``.
OWN_FILES = ("citygraph-graphiql.js", "citygraph-graphiql.css", "favicon.svg")

MISSING_ASSETS_MESSAGE = "GraphiQL assets are not installed: run `make assets`"

#: GraphiQL's stylesheet embeds its fonts as ``data:`` URLs, and its menus (Radix, through
#: react-remove-scroll) insert a ``<style>`` element while open: no nonce can be handed to it
#: from a UMD build, and its text varies with the scrollbar width, so no fixed hash fits.
STYLE_SRC = (headers.SELF, "'unsafe-inline'")
FONT_SRC = (headers.SELF, "data:")


def find_assets_dir() -> Path | None:
    """The ``node_modules`` folder holding GraphiQL's files, or None (see ``web.assets``).

    ``$CITYGRAPH_GRAPHIQL_ASSETS``, when set, is the only place looked at: either the
    ``node_modules`` folder itself or the folder that contains it (``assets/``).
    """
    return assets.find_node_modules(GRAPHIQL, override_env=ASSETS_ENV_VAR)


def _files(assets_dir: Path | None) -> dict[str, Path]:
    return {**assets.bundle_files(GRAPHIQL, assets_dir), **assets.own_files(*OWN_FILES)}


def graphiql_routes(assets_dir: Path | None) -> list[BaseRoute]:
    """Routes serving the listed GraphiQL files at ``/graphql/static/{name}``.

    Other names (and the npm files, when ``assets_dir`` is None) get a 404. Put these routes
    before any ``Mount("/graphql", ...)``; with ``Route("/graphql", ...)`` the order does not
    matter.
    """
    return assets.static_routes(STATIC_PATH, _files(assets_dir), name="graphiql_static")


_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>citygraph GraphiQL</title>
    <link rel="icon" type="image/svg+xml" href="__STATIC__favicon.svg?v=__VERSION__" />
    <link rel="stylesheet" href="__STATIC__graphiql.min.css?v=__VERSION__" />
    <link rel="stylesheet" href="__STATIC__plugin-explorer.css?v=__VERSION__" />
    <link rel="stylesheet" href="__STATIC__citygraph-graphiql.css?v=__VERSION__" />
    <script src="__STATIC__react.production.min.js?v=__VERSION__"></script>
    <script src="__STATIC__react-dom.production.min.js?v=__VERSION__"></script>
  </head>
  <body>
    <div id="graphiql" class="graphiql-container" data-missing="__MISSING__"
      data-subscriptions="__SUBSCRIPTIONS__">Loading...</div>
    <script src="__STATIC__graphiql.min.js?v=__VERSION__"></script>
    <script src="__STATIC__plugin-explorer.umd.js?v=__VERSION__"></script>
    <script src="__STATIC__citygraph-graphiql.js?v=__VERSION__"></script>
  </body>
</html>
"""

_MISSING_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>citygraph GraphiQL</title>
    <link rel="icon" type="image/svg+xml" href="__STATIC__favicon.svg?v=__VERSION__" />
    <link rel="stylesheet" href="__STATIC__citygraph-graphiql.css?v=__VERSION__" />
  </head>
  <body>
    <div id="graphiql" class="citygraph-graphiql-missing">__MISSING__</div>
  </body>
</html>
"""


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def render_graphiql_html(
    *,
    subscriptions: bool = False,
    assets_dir: Path | None = None,
    static_url: str = DEFAULT_STATIC_URL,
) -> str:
    """The GraphiQL page (with the explorer plugin), loading its files from this server.

    ``assets_dir`` defaults to ``find_assets_dir()``; when no complete install is found the
    page only says how to install the files. ``subscriptions`` gives GraphiQL a websocket
    URL (the page's own URL with ``ws:``/``wss:``). ``static_url`` is where the page loads
    the files from (by default relative to the page, which is at ``/graphql``).
    """
    found = assets_dir if assets_dir is not None else find_assets_dir()
    complete = found is not None and assets.is_complete(found, GRAPHIQL)
    values = {
        "__STATIC__": html.escape(static_url, quote=True),
        "__VERSION__": assets.version_token(_files(found if complete else None)),
        "__MISSING__": html.escape(MISSING_ASSETS_MESSAGE, quote=True),
        "__SUBSCRIPTIONS__": "true" if subscriptions else "false",
    }
    return _fill(_PAGE if complete else _MISSING_PAGE, values)


def graphiql_response(*, assets_dir: Path | None = None) -> HTMLResponse:
    """The page with its Content-Security-Policy and the other security headers."""
    return HTMLResponse(
        render_graphiql_html(assets_dir=assets_dir),
        headers=headers.page_headers(style_src=STYLE_SRC, font_src=FONT_SRC),
    )
