"""The app's router: Starlette's, with a dictionary of its fixed paths in front of the scan.

Starlette tries every route's regular expression in order until one matches: a dozen before the
REST lists (2-4% of such a request's CPU, measured). Most requests name a path without
parameters, so the router first looks the path up among such routes; a route found there is the
one the scan would pick (no route before it can match that path, checked when the index is
built), and answers when it takes the method. Everything else (another method: 405; a
parameterised path; no route: slash redirect, 404) goes through Starlette's own scan unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send

#: Route kinds whose match on an HTTP request depends on nothing but its path (and, for a
#: ``Route``, on the method only for full against partial). An index stops at any other kind.
_PATH_ONLY = (Route, Mount, WebSocketRoute)


def static_index(routes: Sequence[BaseRoute]) -> dict[str, Route]:
    """Each fixed path to the first route the scan would try that matches it, when that route
    is a ``Route`` of exactly that path."""
    index: dict[str, Route] = {}
    for position, route in enumerate(routes):
        if not isinstance(route, _PATH_ONLY):
            break
        if type(route) is not Route or route.param_convertors or route.path in index:
            continue
        probe: Scope = {"type": "http", "path": route.path, "root_path": "", "method": "GET"}
        if all(earlier.matches(probe)[0] is Match.NONE for earlier in routes[:position]):
            index[route.path] = route
    return index


class IndexedRouter(Router):
    _index: dict[str, Route] | None = None
    #: The route list the index was built from (its identity and length): routes added later
    #: (``app.mount``) make it stale, and it is built again.
    _indexed: tuple[int, int] = (0, -1)

    def _static(self) -> dict[str, Route]:
        shape = (id(self.routes), len(self.routes))
        if self._index is None or shape != self._indexed:
            self._index, self._indexed = static_index(self.routes), shape
        return self._index

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self._static().get(get_route_path(scope))
            if route is not None:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)
