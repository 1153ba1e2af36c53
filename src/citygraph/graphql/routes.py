"""Routes of the GraphQL face: ``/graphql`` (HTTP, event streams, WebSocket) and, when GraphiQL
is on, its offline assets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from citygraph.graphql import errors
from citygraph.graphql.graphiql import find_assets_dir, graphiql_response, graphiql_routes
from citygraph.graphql.http import (
    APPLICATION_JSON,
    GraphQLEndpoint,
    Refused,
    encode,
    refusal_response,
)
from citygraph.graphql.schema import build_schema
from citygraph.graphql.sse import EventStreamEndpoint, wants_event_stream
from citygraph.graphql.ws import TransportWSConnection
from citygraph.services import Services
from citygraph.web.middleware import request_id_var


def build_routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    routes: list[BaseRoute] = []
    ide = None
    if settings.graphiql_enabled:
        assets_dir = find_assets_dir()
        routes.extend(graphiql_routes(assets_dir))

        def ide(_request: Request) -> Response:
            return graphiql_response(assets_dir=assets_dir)

    schema = build_schema(settings)
    endpoint = GraphQLEndpoint(schema, services, ide=ide)
    streams = EventStreamEndpoint(schema, services, endpoint)

    async def websocket(socket: WebSocket) -> None:
        await TransportWSConnection(socket, schema, services, endpoint).run()

    routes.append(Route("/graphql", _ByAccept(streams, endpoint), name="graphql"))
    routes.append(WebSocketRoute("/graphql", websocket, name="graphql-ws"))
    return routes


class _ByAccept:
    """Event-stream requests (graphql-sse) to ``streams``, everything else to ``endpoint``
    (an ASGI object, not a function: Starlette would take a function for a request handler)."""

    def __init__(self, streams: ASGIApp, endpoint: ASGIApp) -> None:
        self.streams = streams
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.streams if wants_event_stream(scope) else self.endpoint
        await chosen(scope, receive, send)


def refusal(status: int, message: str) -> Response:
    """The request guard's or the error boundary's refusal, as GraphQL over HTTP words it: an
    unexpected failure exactly as a resolver's (masked, with the request id), an outage with
    ``SERVICE_UNAVAILABLE``; the guard's 4xx carry no code."""
    if status == 500:
        error = {
            "message": errors.INTERNAL_MESSAGE,
            "extensions": {"code": errors.INTERNAL_SERVER_ERROR, "requestId": request_id_var.get()},
        }
        return Response(
            encode({"errors": [error]}), 500, media_type=f"{APPLICATION_JSON}; charset=utf-8"
        )
    code = errors.SERVICE_UNAVAILABLE if status == 503 else None
    return refusal_response(Refused(status, message, code))
