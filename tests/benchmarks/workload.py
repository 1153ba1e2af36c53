"""The four requests of the performance issue's table, and the preflight that checks each one.

A preflight sends the exact request wrk will repeat and accepts the target only for a 2xx answer
that is JSON and, for GraphQL, has no ``errors``: a fast error page must never pass for a fast
server. Its body is what the ceiling later serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

DISTRICTS_QUERY = "{ districts { id title abbreviation image } }"
PLACES_QUERY = (
    "{ district(id: 1) { id title places(first: 100) { edges { node { id title "
    "shortDescription fullDescription longitude latitude type images { id image } } } } } }"
)


def graphql_body(query: str, variables: dict[str, object] | None = None) -> bytes:
    document: dict[str, object] = {"query": query}
    if variables:
        document["variables"] = variables
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Request:
    key: str  # file-name safe
    label: str
    method: str
    path: str
    body: bytes | None = None

    @property
    def is_graphql(self) -> bool:
        return self.path == "/graphql"


REQUESTS = (
    Request("rest_districts", "REST districts", "GET", "/api/v1/disticts/"),
    Request("rest_places", "REST 100 places", "GET", "/api/v1/places/?district_id=1"),
    Request(
        "gql_districts", "GraphQL districts", "POST", "/graphql", graphql_body(DISTRICTS_QUERY)
    ),
    Request("gql_places", "GraphQL 100 places", "POST", "/graphql", graphql_body(PLACES_QUERY)),
)
HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True)
class Preflight:
    status: int
    body: bytes
    problem: str | None  # None: fit to be measured

    @property
    def ok(self) -> bool:
        return self.problem is None


def send(client: httpx.Client, base_url: str, request: Request) -> httpx.Response:
    headers = dict(HEADERS)
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    return client.request(
        request.method, base_url + request.path, content=request.body, headers=headers
    )


def preflight(client: httpx.Client, base_url: str, request: Request) -> Preflight:
    try:
        response = send(client, base_url, request)
    except httpx.HTTPError as exc:
        return Preflight(0, b"", f"no answer: {exc!r}")
    body = response.content
    if not 200 <= response.status_code < 300:
        return Preflight(response.status_code, body, f"HTTP {response.status_code}")
    try:
        document = json.loads(body)
    except ValueError:
        return Preflight(response.status_code, body, "not JSON")
    if request.is_graphql and (not isinstance(document, dict) or document.get("errors")):
        errors = document.get("errors") if isinstance(document, dict) else None
        first = errors[0].get("message") if isinstance(errors, list) and errors else None
        return Preflight(response.status_code, body, f"GraphQL errors: {first!r}")
    return Preflight(response.status_code, body, None)
