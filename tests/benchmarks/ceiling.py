"""The ceiling: uvicorn + Starlette answering with bytes captured from citygraph beforehand.

It does no database work and no serialisation, so its req/s is the most any Python ASGI app can
serve for a response of that size on this machine; citygraph's figures are read as ratios to it.

    python -m tests.benchmarks.ceiling --port PORT DIR

serves every ``DIR/<name>.body`` at ``/<name>`` (GET or POST; a POST body is read and dropped)
as ``application/json``, and ``/healthz``. uvicorn runs with citygraph's own server settings
(one worker, default loop and HTTP implementation, no access log).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json"


def build_app(bodies: dict[str, bytes]) -> Starlette:
    async def serve(request: Request) -> Response:
        if request.method == "POST":
            await request.body()
        body = bodies.get(request.path_params["name"])
        if body is None:
            return Response(b'{"detail":"no such body"}', status_code=404, media_type=JSON)
        return Response(body, media_type=JSON)

    async def healthz(_request: Request) -> Response:
        return Response(b'{"ok":true}', media_type=JSON)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/{name}", serve, methods=["GET", "POST"]),
        ]
    )


def load(directory: Path) -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted(directory.glob("*.body"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    uvicorn.run(
        build_app(load(args.directory)),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
