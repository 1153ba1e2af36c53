"""Malformed multipart bodies: a 400 in the face's own JSON, never a 500 or Starlette's text."""

from __future__ import annotations

import httpx
import pytest

from citygraph.models import User
from citygraph.security import jwt
from citygraph.services import Services
from tests.support.users import create_account

PREFLIGHT = {"X-Requested-With": "test"}
FILE = {"0": ("a.png", b"\x89PNG", "image/png")}
UPLOAD_QUERY = "mutation($f: Upload!) { addPlaceImage(placeId: 1, image: $f) { id } }"


def operations(query: str = "{__typename}", variables: str = "{}") -> str:
    return f'{{"query": "{query}", "variables": {variables}}}'


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"map": "[1]"}, "The multipart `map` must be an object of lists of paths"),
        ({"map": "1"}, "The multipart `map` must be an object of lists of paths"),
        ({"map": "null"}, "The multipart `map` must be an object of lists of paths"),
        ({"map": '"0"'}, "The multipart `map` must be an object of lists of paths"),
        (
            {"map": '{"0": "variables.f"}'},
            "The multipart `map` must be an object of lists of paths",
        ),
        ({"map": '{"0": [1]}'}, "The multipart `map` must be an object of lists of paths"),
        (
            {"map": '{"0": [["variables"]]}'},
            "The multipart `map` must be an object of lists of paths",
        ),
        ({"map": '{"1": ["variables.f"]}'}, "File(s) missing in form data"),
        (
            {"map": '{"0": ["variables.g"]}'},
            "The multipart `map` names no variable at 'variables.g'",
        ),
        (
            {"map": '{"0": ["variables.f.x.y"]}'},
            "The multipart `map` names no variable at 'variables.f.x.y'",
        ),
        ({"map": '{"0": [""]}'}, "The multipart `map` names no variable at ''"),
        ({"map": '{"0": ["query.0"]}'}, "The multipart `map` names no variable at 'query.0'"),
        ({"map": "{"}, "Unable to parse `map` as JSON"),
    ],
)
async def test_graphql_bad_map(
    client: httpx.AsyncClient, fields: dict[str, str], message: str
) -> None:
    data = {"operations": operations(UPLOAD_QUERY, '{"f": null}'), **fields}
    response = await client.post("/graphql", data=data, files=FILE, headers=PREFLIGHT)
    assert response.status_code == 400, response.text
    assert response.json() == {"errors": [{"message": message}]}


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ("[1]", "Batching is not enabled"),
        ("1", "The GraphQL request must be a JSON object"),
        ("null", "The GraphQL request must be a JSON object"),
        ('"query"', "The GraphQL request must be a JSON object"),
        ('{"query": 1}', "The GraphQL operation's `query` must be a string or null, if provided."),
        (
            '{"query": "{__typename}", "variables": []}',
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
        ("{", "Unable to parse `operations` as JSON"),
    ],
)
async def test_graphql_bad_operations(client: httpx.AsyncClient, ops: str, message: str) -> None:
    response = await client.post(
        "/graphql", data={"operations": ops, "map": "{}"}, files=FILE, headers=PREFLIGHT
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"errors": [{"message": message}]}


async def test_graphql_map_into_a_list_operations(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        data={"operations": "[1]", "map": '{"0": ["0"]}'},
        files=FILE,
        headers=PREFLIGHT,
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Batching is not enabled"}]}


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=xyz"],
)
async def test_graphql_malformed_multipart(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/graphql",
        content=b"x" * 100,
        headers={**PREFLIGHT, "content-type": content_type},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["message"].startswith("Unable to parse the multipart body")


async def _staff_token(services: Services) -> str:
    user: User = await create_account(
        services, "staffer", email="s@example.com", password="pw-123456!", active=True, staff=True
    )
    assert user.id is not None
    return jwt.encode(services.settings, "access", user.id)


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        ("multipart/form-data", "Invalid boundary in multipart: None"),
        ("multipart/form-data; charset=utf-8", "Invalid boundary in multipart: None"),
        ("multipart/form-data; boundary=", "Invalid boundary in multipart: "),
        ('multipart/form-data; boundary=""', "Invalid boundary in multipart: "),
    ],
)
async def test_rest_multipart_without_boundary(
    client: httpx.AsyncClient, services: Services, content_type: str, detail: str
) -> None:
    token = await _staff_token(services)
    response = await client.post(
        "/api/v1/district_create/",
        content=b"x",
        headers={"Authorization": f"JWT {token}", "content-type": content_type},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"Multipart form parse error - {detail}"}


async def test_rest_multipart_garbage_body(client: httpx.AsyncClient, services: Services) -> None:
    token = await _staff_token(services)
    response = await client.post(
        "/api/v1/district_create/",
        content=b"--xyz\r\nnot a header line at all\r\n\r\n",
        headers={
            "Authorization": f"JWT {token}",
            "content-type": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"].startswith("Multipart form parse error - ")
