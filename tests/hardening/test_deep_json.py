"""Deeply nested JSON is a 400 parse error on every face, never a RecursionError 500."""

from __future__ import annotations

import json

import httpx
import pytest

from citygraph.web.jsonbody import MAX_DEPTH, TooDeep, check_depth

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
PREFLIGHT = {"X-Requested-With": "test"}
REST_DEPTH_ERROR = {"detail": f"JSON parse error - Nesting deeper than {MAX_DEPTH} levels"}


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_depth_counts_brackets_outside_strings_only() -> None:
    check_depth(nested(MAX_DEPTH))
    check_depth(json.dumps({"text": "[" * 5000}))  # brackets in a string are text
    check_depth(json.dumps({"text": '\\"[' * 5000}))  # escaped quotes do not end the string
    with pytest.raises(TooDeep):
        check_depth(nested(MAX_DEPTH + 1))
    with pytest.raises(TooDeep):
        check_depth(DEEP_OBJECT.encode())


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"username":' + DEEP + "}"])
async def test_rest_json_body(client: httpx.AsyncClient, body: str) -> None:
    response = await client.post(
        "/auth/jwt/create/", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == REST_DEPTH_ERROR
    assert response.headers["content-type"] == "application/json"


async def test_rest_json_at_the_limit_is_parsed(client: httpx.AsyncClient) -> None:
    body = '{"username":' + nested(MAX_DEPTH - 1) + ',"password":"x"}'
    response = await client.post(
        "/auth/jwt/create/", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"username": ["Not a valid string."]}


def assert_graphql_parse_error(response: httpx.Response, what: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "errors": [
            {"message": f"Unable to parse {what} as JSON: Nesting deeper than {MAX_DEPTH} levels"}
        ]
    }


@pytest.mark.parametrize("body", [DEEP, '{"query":"{__typename}","variables":{"a":' + DEEP + "}}"])
async def test_graphql_post_body(client: httpx.AsyncClient, body: str) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": f"Nesting deeper than {MAX_DEPTH} levels"}]}


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_graphql_get_parameters(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(
        "/graphql", params={"query": "{__typename}", name: '{"a":' + DEEP + "}"}
    )
    assert_graphql_parse_error(response, f"`{name}`")


async def test_graphql_multipart_operations(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        data={
            "operations": '{"query":"{__typename}","variables":' + DEEP_OBJECT + "}",
            "map": "{}",
        },
        files={"0": ("a.png", b"x", "image/png")},
        headers=PREFLIGHT,
    )
    assert_graphql_parse_error(response, "`operations`")


async def test_graphql_multipart_map(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        data={"operations": '{"query":"{__typename}"}', "map": '{"0":' + DEEP + "}"},
        files={"0": ("a.png", b"x", "image/png")},
        headers=PREFLIGHT,
    )
    assert_graphql_parse_error(response, "`map`")


async def test_graphql_still_answers_ordinary_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{__typename}", "variables": {"a": [[[[1]]]]}}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
