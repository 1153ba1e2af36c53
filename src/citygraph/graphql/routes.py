"""Routes of the GraphQL face: ``/graphql`` and, when GraphiQL is on, its offline assets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from citygraph.graphql.graphiql import find_assets_dir, graphiql_response, graphiql_routes
from citygraph.graphql.http import GraphQLEndpoint, Refused, refusal_response
from citygraph.graphql.schema import build_schema
from citygraph.services import Services


def build_routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    routes: list[BaseRoute] = []
    ide = None
    if settings.graphiql_enabled:
        assets_dir = find_assets_dir()
        routes.extend(graphiql_routes(assets_dir))

        def ide(_request: Request) -> Response:
            return graphiql_response(assets_dir=assets_dir)

    endpoint = GraphQLEndpoint(build_schema(settings), services, ide=ide)
    routes.append(Route("/graphql", endpoint, name="graphql"))
    return routes


def refusal(status: int, message: str) -> Response:
    """The request guard's refusal, as GraphQL over HTTP words it."""
    return refusal_response(Refused(status, message))
