"""Routes of the GraphQL face: ``/graphql`` and, when GraphiQL is on, its offline assets."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from citygraph.graphql.graphiql import find_assets_dir, graphiql_routes
from citygraph.graphql.schema import build_schema
from citygraph.graphql.view import GraphQLView
from citygraph.services import Services


def build_routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    assets_dir = find_assets_dir() if settings.graphiql_enabled else None
    view = GraphQLView(build_schema(settings), services, assets_dir=assets_dir)
    routes: list[BaseRoute] = []
    if settings.graphiql_enabled:
        routes.extend(graphiql_routes(assets_dir))
    routes.append(Route("/graphql", view, name="graphql"))
    return routes
