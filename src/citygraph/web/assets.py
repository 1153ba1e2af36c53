"""Static files of the browser pages: npm bundles and the pages' own scripts, styles and icon.

Only listed files are ever served (a name maps to one file; nothing is looked up by path), with
their media type, ``nosniff`` and a cache lifetime. The npm files are found (first match wins):

1. in ``$CITYGRAPH_GRAPHIQL_ASSETS`` for GraphiQL, when set, and nowhere else;
2. in the installed package, ``citygraph/static/npm/`` (a wheel carries them, see
   ``hatch_build.py``);
3. in ``assets/node_modules`` under the current folder or a parent of this file (a source
   checkout after ``make assets``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from citygraph.web.bundles import PACKAGED_DIR, Bundle

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: The pages' own files (scripts, styles, icon), shipped as package data.
OWN_STATIC = PACKAGE_DIR / "static"
PACKAGED_NPM = PACKAGE_DIR / PACKAGED_DIR

FAVICON_SVG = OWN_STATIC / "favicon.svg"
FAVICON_ICO = OWN_STATIC / "favicon.ico"

CONTENT_TYPES: dict[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/vnd.microsoft.icon",
}

#: For URLs that carry a version token (``?v=...``): the content behind them never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
#: For fixed URLs such as ``/favicon.ico``.
ONE_DAY = "public, max-age=86400"


def is_complete(node_modules: Path, bundle: Bundle) -> bool:
    return all((node_modules / rel).is_file() for rel in bundle.files.values())


def find_node_modules(bundle: Bundle, *, override_env: str | None = None) -> Path | None:
    """The folder (laid out like ``node_modules``) holding every file of ``bundle``, or None.

    ``override_env`` names an environment variable that, when set, is the only place looked at:
    either the ``node_modules`` folder itself or the folder that contains it (``assets/``).
    """
    override = os.environ.get(override_env) if override_env else None
    if override:
        base = Path(override).expanduser()
        candidates = [base, base / "node_modules"]
    else:
        roots = [Path.cwd(), *Path(__file__).resolve().parents]
        candidates = [PACKAGED_NPM, *(root / "assets" / "node_modules" for root in roots)]
    for candidate in candidates:
        if is_complete(candidate, bundle):
            return candidate.resolve()
    return None


def bundle_files(bundle: Bundle, node_modules: Path | None) -> dict[str, Path]:
    """Served name -> file for ``bundle`` in ``node_modules`` (nothing when not installed)."""
    if node_modules is None:
        return {}
    return {name: node_modules / rel for name, rel in bundle.files.items()}


def own_files(*names: str) -> dict[str, Path]:
    """Served name -> file for the pages' own files in ``citygraph/static``."""
    return {name: OWN_STATIC / name for name in names}


def version_token(files: Mapping[str, Path]) -> str:
    """A short token that changes whenever any of ``files`` changes (for cache busting)."""
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        stat = path.stat()
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:12]


def file_response(path: Path, *, cache_control: str = IMMUTABLE) -> Response:
    if not path.is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(
        path,
        media_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"},
    )


def static_routes(prefix: str, files: Mapping[str, Path], *, name: str) -> list[BaseRoute]:
    """``GET {prefix}/{name}`` for each of ``files``; every other name is a 404."""
    served = dict(files)

    async def serve(request: Request) -> Response:
        path = served.get(request.path_params["name"])
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        return file_response(path)

    return [Route(prefix + "/{name}", serve, methods=["GET", "HEAD"], name=name)]


def favicon_routes() -> list[BaseRoute]:
    """The site icon at the paths browsers try; every page also links ``favicon.svg``."""

    async def svg(_request: Request) -> Response:
        return file_response(FAVICON_SVG, cache_control=ONE_DAY)

    async def ico(_request: Request) -> Response:
        return file_response(FAVICON_ICO, cache_control=ONE_DAY)

    return [
        Route("/favicon.svg", svg, methods=["GET", "HEAD"]),
        Route("/favicon.ico", ico, methods=["GET", "HEAD"]),
    ]
