"""The cost limit: amplified queries are refused before anything runs, on both read paths."""

from __future__ import annotations

import time
from typing import Any

from citygraph.graphql.cost import QUERY_TOO_COSTLY
from citygraph.services import Services
from tests.graphql.conftest import GQL, seed

#: The issue's query: 30 aliases, depth 9, 3.4 KB; 98 MB of answer before the limit.
AMPLIFIED = (
    "{ "
    + " ".join(
        f"a{i}: districts {{ places(first: 100) {{ edges {{ node {{ district {{ "
        f"places(first: 100) {{ edges {{ node {{ id title fullDescription }} }} }} }} }} }} }} }}"
        for i in range(30)
    )
    + " }"
)
NESTED = (
    "query ($n: Int!, $m: Int!) { districts { places(first: $n) { edges { node { district {"
    " places(first: $m) { edges { node { id title } } } } } } } } }"
)


def refusal(payload: dict[str, Any]) -> dict[str, Any]:
    assert "data" not in payload, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == QUERY_TOO_COSTLY, error
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_the_amplified_query_is_refused_fast_with_a_small_body(
    gql: GQL, services: Services
) -> None:
    await seed(services, districts=3, places_per_district=100, images_per_place=0)
    assert len(AMPLIFIED) > 3000
    started = time.perf_counter()
    response = await gql.post(AMPLIFIED)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(response.content) < 1000
    assert elapsed < 2
    extensions = refusal(response.json())
    assert extensions["maxCost"] == services.settings.graphql_max_cost
    # 30 aliases x 20 districts (a list without a page) x 100 x 100 places x 4 fields, and more
    assert extensions["cost"] > 30 * 20 * 100 * 100 * 4
    assert str(extensions["cost"]) in response.json()["errors"][0]["message"]

    strict = await gql.post(
        AMPLIFIED, headers={"Accept": "application/graphql-response+json"}
    )  # a request error: 400 without data
    assert strict.status_code == 400
    refusal(strict.json())


async def test_one_alias_is_refused_too_but_a_page_of_it_is_fine(
    gql: GQL, services: Services
) -> None:
    await seed(services, districts=2, places_per_district=3, images_per_place=0)
    refusal(await gql(NESTED, {"n": 100, "m": 100}))
    small = await gql(NESTED, {"n": 5, "m": 5})
    assert "errors" not in small
    assert len(small["data"]["districts"]) == 2


async def test_the_compiled_path_costs_each_requests_variables(
    gql: GQL, services: Services
) -> None:
    """Once a document has compiled with small variables, large ones are still refused."""
    await seed(services, districts=2, places_per_district=3, images_per_place=0)
    first = await gql(NESTED, {"n": 3, "m": 3})  # the executor's path; the document is learned
    again = await gql(NESTED, {"n": 3, "m": 3})  # the compiled path
    assert first == again and "errors" not in again
    refusal(await gql(NESTED, {"n": 100, "m": 100}))
    assert await gql(NESTED, {"n": 3, "m": 3}) == first


async def test_defaults_and_pages_multiply_down_the_nesting(gql: GQL) -> None:
    """``first`` omitted counts as its default (20), a larger one at most as the largest page."""
    query = (
        "{ districts { places%s { edges { node { district { places%s { edges { node {"
        " id title fullDescription } } } } } } } } }"
    )
    default = refusal(await gql(query % ("", "(first: 100)")))["cost"]
    explicit = refusal(await gql(query % ("(first: 20)", "(first: 100)")))["cost"]
    assert default == explicit
    over = await gql(query % ("(first: 1000)", "(first: 100)"))
    hundred = await gql(query % ("(first: 100)", "(first: 100)"))
    assert refusal(over)["cost"] == refusal(hundred)["cost"] > explicit


async def test_filter_and_order_terms_count(gql: GQL) -> None:
    """Each term of ``filter``/``orderBy`` (literal or in the variables) adds to the cost."""
    base = (
        "query ($f: PlaceFilter, $o: [PlaceOrder!]) { districts { places(first: 100) { edges {"
        " node { district { places(first: 100) { edges { node { id } } } } } } } }"
        " places(filter: $f, orderBy: $o) { totalCount } }"
    )
    plain = refusal(await gql(base))["cost"]
    terms = {"or": [{"title": {"contains": f"t{i}"}} for i in range(50)]}
    filtered = refusal(await gql(base, {"f": terms}))["cost"]
    assert filtered - plain == 1 + 50 + 50 * 2
    ordered = refusal(await gql(base, {"o": [{"field": "TITLE", "direction": "DESC"}]}))["cost"]
    assert ordered - plain == 1 + 2
    literal = base.replace("$f: PlaceFilter, ", "").replace(
        "filter: $f", 'filter: {title: {contains: "x"}}'
    )
    assert refusal(await gql(literal))["cost"] - plain == 2


async def test_fragments_count_where_they_are_spread(gql: GQL) -> None:
    inline = refusal(
        await gql("{ districts { places(first: 100) { edges { node { district { places(first: 100)"
                  " { edges { node { id title } } } } } } } } }")
    )["cost"]  # fmt: skip
    spread = refusal(
        await gql("fragment P on Place { id title } fragment D on District { places(first: 100)"
                  " { edges { node { ...P } } } } { districts { places(first: 100) { edges {"
                  " node { district { ...D } } } } } }")
    )["cost"]  # fmt: skip
    assert spread == inline


async def test_an_ordinary_nested_read_passes(gql: GQL, services: Services) -> None:
    """The README's batched query fits easily."""
    await seed(services, districts=2, places_per_district=3)
    result = await gql(
        "{ districts { id title places(first: 100) { totalCount edges { node {"
        " images { id } district { title } } } } } }"
    )
    assert "errors" not in result
