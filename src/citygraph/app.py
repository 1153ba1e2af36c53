"""``create_app(settings)``: the one Starlette application with every face mounted."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute

import compat.routes
from citygraph import admin
from citygraph.config import Settings
from citygraph.graphql import routes as graphql_routes
from citygraph.services import Services
from citygraph.web import account_pages, health, home, media, metrics
from citygraph.web.boundary import ErrorBoundary
from citygraph.web.cache import ResponseCache
from citygraph.web.guard import ADMIN_FILES, Face, RequestGuard
from citygraph.web.middleware import RequestIdMiddleware
from citygraph.web.observe import ObserveMiddleware
from citygraph.web.routing import IndexedRouter


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    settings = settings or Settings()
    settings.check_startable()
    services = services or Services.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        services.changes.listen(settings.effective_database_url)
        services.outbox.start()
        # What startup built (the schemas, routes, templates) lives as long as the process:
        # frozen, the collector never walks it again. Unfrozen, each full collection of a
        # serving worker walked ~136,000 objects for up to 90 ms (measured): the p99 latency.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await services.aclose()

    faces = [
        Face(("/graphql",), files=1, refuse=graphql_routes.refusal),
        Face(("/admin",), files=ADMIN_FILES, refuse=admin.refusal),
        Face((), files=1, refuse=compat.routes.refusal),
    ]
    # Outermost first: the request id on every answer; every answer counted and timed (after
    # the error boundary made it complete); the error boundary (every failure a complete answer
    # in its face's format); host and CORS checks before anything is answered (a cache hit
    # included); the guard before any body is read; then the cache.
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(
            ObserveMiddleware,
            metrics=services.metrics,
            json_log=settings.log_format == "json",
        ),
        Middleware(ErrorBoundary, faces=faces),
    ]
    if settings.allowed_hosts != ["*"]:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts))
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "X-Requested-With"],
            )
        )
    middleware += [
        Middleware(RequestGuard, settings=settings, faces=faces),
        Middleware(
            ResponseCache,
            changes=services.changes,
            get_paths=("/api/v1/disticts/", "/api/v1/places/", "/graphql"),
            post_paths=("/graphql",),
            enabled=settings.response_cache,
        ),
    ]

    routes: list[BaseRoute] = [
        *home.routes,
        *account_pages.routes,
        *health.routes,
        *metrics.routes(services),
        *graphql_routes.build_routes(services),
        *media.routes,
        *compat.routes.build_routes(services),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=compat.routes.exception_handlers(),
    )
    # The same routes and lifespan, with fixed paths found by a dictionary lookup first.
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.services = services
    admin.mount_admin(app, services)
    return app
