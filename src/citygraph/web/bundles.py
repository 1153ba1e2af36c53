"""Which npm files the browser pages use: one list for the server and for the wheel build.

Standard library only: ``hatch_build.py`` loads this file by path in the isolated build
environment, where citygraph's dependencies are not installed.

A wheel carries these files (and the packages' licence files) under ``citygraph/static/npm/``
with the same relative paths they have in ``assets/node_modules``; the server prefers that copy
and falls back to ``assets/node_modules`` in a source checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Where a wheel keeps the copies, relative to the ``citygraph`` package.
PACKAGED_DIR = "static/npm"


@dataclass(frozen=True)
class Bundle:
    """A page's npm files: ``files`` maps the served name to its path in ``node_modules``."""

    name: str
    files: dict[str, str]
    #: Licence and notice files of every package the files come from (or are bundled from).
    licences: tuple[str, ...] = field(default=())

    def paths(self) -> tuple[str, ...]:
        """Everything a copy must contain, relative to ``node_modules``."""
        return (*self.files.values(), *self.licences)


GRAPHIQL = Bundle(
    name="GraphiQL",
    files={
        "react.production.min.js": "react/umd/react.production.min.js",
        "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
        "graphiql.min.js": "graphiql/graphiql.min.js",
        "graphiql.min.css": "graphiql/graphiql.min.css",
        "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
        "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
    },
    licences=(
        "react/LICENSE",
        "react-dom/LICENSE",
        "graphiql/LICENSE",
        # No LICENSE file in the package: its package.json states "license": "MIT".
        "@graphiql/plugin-explorer/package.json",
        # Bundled into the plugin's UMD build.
        "graphiql-explorer/LICENSE",
    ),
)

SWAGGER_UI = Bundle(
    name="Swagger UI",
    files={
        "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js": "swagger-ui-dist/swagger-ui-standalone-preset.js",
        "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    },
    licences=(
        "swagger-ui-dist/LICENSE",
        "swagger-ui-dist/NOTICE",
        "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui-dist/swagger-ui-standalone-preset.js.LICENSE.txt",
    ),
)

BUNDLES: tuple[Bundle, ...] = (GRAPHIQL, SWAGGER_UI)
