"""Offline GraphiQL: the explorer page and the routes that serve its assets.

Strawberry's stock page loads React, GraphiQL and the explorer plugin from a CDN. This
module serves the same UMD builds from ``assets/node_modules`` (installed from npm by
``make assets``, see ``assets/package.json``) so that ``GET /graphql`` works with no
network access and the page never talks to a host other than the API's own.

Wiring, in the app::

    assets_dir = find_assets_dir()
    routes = [*graphiql_routes(assets_dir), Route("/graphql", graphql_app), ...]

and in the strawberry ``GraphQL`` subclass::

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(render_graphiql_html(assets_dir=assets_dir))
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

ASSETS_ENV_VAR = "CITYGRAPH_GRAPHIQL_ASSETS"

#: Where the routes serve the assets.
STATIC_PATH = "/graphql/static"

#: How the page refers to the assets. Relative to the page: from ``/graphql`` it resolves
#: to ``/graphql/static/...``, and it still works when the app is mounted under a prefix.
DEFAULT_STATIC_URL = "graphql/static/"

#: Public name -> path inside ``node_modules``. Only these files are ever served.
ASSET_FILES: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
}

_CONTENT_TYPES: dict[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

#: The asset URLs carry a version token (``?v=...``), so they can be cached for a year.
_CACHE_CONTROL = "public, max-age=31536000, immutable"

MISSING_ASSETS_MESSAGE = "GraphiQL assets are not installed: run `make assets`"


def _is_complete(node_modules: Path) -> bool:
    return all((node_modules / rel).is_file() for rel in ASSET_FILES.values())


def find_assets_dir() -> Path | None:
    """Return the ``node_modules`` folder that holds every asset, or None.

    ``$CITYGRAPH_GRAPHIQL_ASSETS``, when set, is the only place looked at: either the
    ``node_modules`` folder itself or the folder that contains it (``assets/``). Otherwise
    ``assets/node_modules`` is looked for under the current working directory, then under
    each parent folder of this file (the repository's root in a source checkout).
    """
    override = os.environ.get(ASSETS_ENV_VAR)
    if override:
        base = Path(override).expanduser()
        for candidate in (base, base / "node_modules"):
            if _is_complete(candidate):
                return candidate.resolve()
        return None

    roots = [Path.cwd(), *Path(__file__).resolve().parents]
    for root in roots:
        candidate = root / "assets" / "node_modules"
        if _is_complete(candidate):
            return candidate.resolve()
    return None


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def graphiql_routes(assets_dir: Path | None) -> list[BaseRoute]:
    """Routes serving the whitelisted GraphiQL assets at ``/graphql/static/{name}``.

    Names not in ``ASSET_FILES`` (and every name, when ``assets_dir`` is None) get a 404.
    Put these routes before any ``Mount("/graphql", ...)``; with ``Route("/graphql", ...)``
    the order does not matter.
    """

    async def serve_asset(request: Request) -> Response:
        name = request.path_params["name"]
        rel = ASSET_FILES.get(name)
        if assets_dir is None or rel is None:
            return _not_found()
        path = assets_dir / rel
        if not path.is_file():
            return _not_found()
        return FileResponse(
            path,
            media_type=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route(
            STATIC_PATH + "/{name}",
            serve_asset,
            methods=["GET", "HEAD"],
            name="graphiql_static",
        )
    ]


def _asset_version(assets_dir: Path) -> str:
    """A short token that changes whenever any asset file changes (for cache busting)."""
    digest = hashlib.sha256()
    for name, rel in sorted(ASSET_FILES.items()):
        stat = (assets_dir / rel).stat()
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:12]


# The strawberry emoji favicon from strawberry's page. Base64, so that the SVG namespace
# URI (which is an identifier, never fetched) does not show up as a URL in the page.
_FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<text y=".9em" font-size="80">&#x1f353;</text></svg>'
)
_FAVICON = "data:image/svg+xml;base64," + base64.b64encode(_FAVICON_SVG.encode()).decode()

_STYLE = """
      body {
        height: 100%;
        margin: 0;
        width: 100%;
        overflow: hidden;
      }

      #graphiql {
        height: 100vh;
        display: flex;
      }

      .docExplorerHide {
        display: none;
      }

      .doc-explorer-contents {
        overflow-y: hidden !important;
      }

      .docExplorerWrap {
        width: unset !important;
        min-width: unset !important;
      }

      .graphiql-explorer-actions select {
        margin-left: 4px;
      }

      .citygraph-graphiql-missing {
        font-family: system-ui, sans-serif;
        font-size: 18px;
        margin: 2em;
      }
"""

# Adapted from strawberry/static/graphiql.html: assets from this server, no js-cookie (the
# CSRF cookie is read by hand), no CDN, integrity or crossorigin attributes, and a fetcher
# that asks for application/graphql-response+json.
_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Citygraph GraphiQL</title>
    <link rel="icon" href="__FAVICON__" />
    <style>__STYLE__</style>
    <script src="__STATIC__react.production.min.js?v=__VERSION__"></script>
    <script src="__STATIC__react-dom.production.min.js?v=__VERSION__"></script>
    <link rel="stylesheet" href="__STATIC__graphiql.min.css?v=__VERSION__" />
    <link rel="stylesheet" href="__STATIC__plugin-explorer.css?v=__VERSION__" />
  </head>

  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
    <script src="__STATIC__graphiql.min.js?v=__VERSION__"></script>
    <script src="__STATIC__plugin-explorer.umd.js?v=__VERSION__"></script>
    <script>
      const MISSING_ASSETS = __MISSING_JSON__;

      function showMissingAssets() {
        const el = document.getElementById("graphiql");
        el.className = "citygraph-graphiql-missing";
        el.textContent = MISSING_ASSETS;
      }

      const EXAMPLE_QUERY = `# Welcome to GraphiQL
#
# GraphiQL is an in-browser tool for writing, validating, and
# testing GraphQL queries.
#
# Type queries into this side of the screen, and you will see intelligent
# typeaheads aware of the current GraphQL type schema and live syntax and
# validation errors highlighted within the text.
#
# GraphQL queries typically start with a "{" character. Lines that starts
# with a # are ignored.
#
# An example GraphQL query might look like:
#
#     {
#       field(arg: "value") {
#         subField
#       }
#     }
#
# Keyboard shortcuts:
#
#       Run Query:  Ctrl-Enter (or press the play button above)
#
#   Auto Complete:  Ctrl-Space (or just start typing)
#
`;

      // Parse URL parameters for sharing queries
      const parameters = {};

      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] =
            decodeURIComponent(entry.slice(eq + 1));
        }
      }

      function updateURL(data) {
        Object.assign(parameters, data);

        const newSearch =
          "?" +
          Object.keys(parameters)
            .filter(function (key) {
              return Boolean(parameters[key]);
            })
            .map(function (key) {
              return (
                encodeURIComponent(key) +
                "=" +
                encodeURIComponent(parameters[key])
              );
            })
            .join("&");
        history.replaceState(null, null, newSearch);
      }

      function getCookie(name) {
        for (const part of document.cookie.split(";")) {
          const eq = part.indexOf("=");
          if (eq >= 0 && part.slice(0, eq).trim() === name) {
            return decodeURIComponent(part.slice(eq + 1).trim());
          }
        }
        return undefined;
      }

      // The API answers on the page's own URL.
      const fetchURL = window.location.href.split("?")[0];

      const defaultHeaders = {
        accept: "application/graphql-response+json, application/json",
      };
      const csrfToken = getCookie("csrftoken");

      if (csrfToken) {
        defaultHeaders["x-csrftoken"] = csrfToken;
      }

      const fetcherOptions = {
        url: fetchURL,
        headers: defaultHeaders,
        enableIncrementalDelivery: false,
      };

      if (__SUBSCRIPTIONS__) {
        // ws: for a page served in the clear, wss: for one served over TLS.
        const wsURL = new URL(fetchURL);
        wsURL.protocol = "ws" + wsURL.protocol.slice(4);
        wsURL.hash = "";
        fetcherOptions.subscriptionUrl = wsURL.toString();
      }

      function GraphiQLWithExplorer() {
        const [query, setQuery] = React.useState(
          parameters.q || EXAMPLE_QUERY,
        );
        const [variables, setVariables] = React.useState(
          parameters.variables,
        );
        const [headers, setHeaders] = React.useState(parameters.headers);

        function onEditQuery(newQuery) {
          setQuery(newQuery);
          updateURL({ q: newQuery });
        }

        function onEditVariables(newVariables) {
          setVariables(newVariables);
          updateURL({ variables: newVariables });
        }

        function onEditHeaders(newHeaders) {
          setHeaders(newHeaders);
        }

        const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();

        return React.createElement(GraphiQL, {
          fetcher: fetcher,
          defaultEditorToolsVisibility: true,
          plugins: [explorerPlugin],
          query: query,
          variables: variables,
          headers: headers,
          onEditQuery: onEditQuery,
          onEditVariables: onEditVariables,
          onEditHeaders: onEditHeaders,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
        });
      }

      let fetcher = null;

      if (
        typeof React === "undefined" ||
        typeof ReactDOM === "undefined" ||
        typeof GraphiQL === "undefined" ||
        typeof GraphiQLPluginExplorer === "undefined"
      ) {
        showMissingAssets();
      } else {
        fetcher = GraphiQL.createFetcher(fetcherOptions);
        const root = ReactDOM.createRoot(document.getElementById("graphiql"));
        root.render(React.createElement(GraphiQLWithExplorer));
      }
    </script>
  </body>
</html>
"""

_MISSING_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Citygraph GraphiQL</title>
    <link rel="icon" href="__FAVICON__" />
    <style>__STYLE__</style>
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
    """The GraphiQL page (with the explorer plugin), loading its assets from this server.

    ``assets_dir`` defaults to ``find_assets_dir()``; when no complete install is found the
    page only says how to install the assets. ``subscriptions`` gives GraphiQL a websocket
    URL (the page's own URL with ``ws:``/``wss:``). ``static_url`` is where the page loads
    the assets from (by default relative to the page, which is at ``/graphql``).
    """
    found = assets_dir if assets_dir is not None else find_assets_dir()
    common = {"__FAVICON__": _FAVICON, "__STYLE__": _STYLE}
    if found is None or not _is_complete(found):
        return _fill(_MISSING_PAGE, {**common, "__MISSING__": html.escape(MISSING_ASSETS_MESSAGE)})

    static = html.escape(static_url, quote=True)
    return _fill(
        _PAGE,
        {
            **common,
            "__STATIC__": static,
            "__VERSION__": _asset_version(found),
            # A JS string literal; safe inside <script> as the message has no "<".
            "__MISSING_JSON__": json.dumps(MISSING_ASSETS_MESSAGE),
            "__SUBSCRIPTIONS__": "true" if subscriptions else "false",
        },
    )
