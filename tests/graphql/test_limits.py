"""Depth, alias and token limits are on by default; pages stop at 100 (see test_queries)."""

from __future__ import annotations

from tests.graphql.conftest import GQL


def nested(depth: int) -> str:
    """``districts { places { edges { node { district { places ... } } } } }`` ``depth`` deep."""
    inner = "id"
    levels = 1
    while levels < depth:
        inner = f"district {{ places {{ edges {{ node {{ {inner} }} }} }} }}"
        levels += 5
    return f"{{ places {{ edges {{ node {{ {inner} }} }} }} }}"


async def test_depth_limit(gql: GQL) -> None:
    ok = await gql("{ districts { places { edges { node { district { title } } } } } }")
    assert "errors" not in ok
    deep = await gql(nested(14))
    assert "data" not in deep
    assert "exceeds maximum operation depth" in deep["errors"][0]["message"]


async def test_alias_limit(gql: GQL) -> None:
    ok = await gql("{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }")
    assert "errors" not in ok
    too_many = await gql("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }")
    assert "data" not in too_many
    assert "aliases" in too_many["errors"][0]["message"]


async def test_token_limit(gql: GQL) -> None:
    big = await gql("{ " + " ".join(["__typename"] * 2100) + " }")
    assert "data" not in big
    assert "tokens" in big["errors"][0]["message"]


async def test_graphiql_introspection_fits_the_limits(gql: GQL) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True,
    )  # fmt: skip
    result = await gql(query)
    assert "errors" not in result
    assert result["data"]["__schema"]["queryType"]["name"] == "Query"
