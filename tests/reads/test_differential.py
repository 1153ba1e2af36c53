"""The compiled reads answer byte for byte what the executor answers, on generated queries.

Hypothesis writes queries over the read graph — nested selections, aliases, inline and named
fragments, ``@skip``/``@include``, merged duplicate fields, valid and invalid arguments (pages
of 0..100 and beyond, cursors real, forged and broken under every ordering, searches with
pattern characters, points and radii in and out of range, filters nested past the limit,
orderings by every field and direction). Each runs through an app that never compiles and, twice,
through one that does (the first request teaches it the document; the second is compiled when
it can be): the three responses must be the same bytes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citygraph.graphql.reads import CompiledReads
from tests.reads.conftest import ReadGraph

MAX_DEPTH = 3

SCALARS = {
    "Query": ["__typename"],
    "District": ["id", "title", "abbreviation", "image", "placeCount", "__typename"],
    "Place": [
        "id",
        "title",
        "shortDescription",
        "fullDescription",
        "latitude",
        "longitude",
        "type",
        "__typename",
    ],
    "PlaceImage": ["id", "image", "__typename"],
    "PlaceConnection": ["totalCount", "__typename"],
    "PlaceEdge": ["cursor", "__typename"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"],
    "NearbyPlace": ["distanceMeters", "__typename"],
}
# field -> (type it returns, argument names)
OBJECTS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "Query": {
        "districts": ("District", ("filter", "orderBy")),
        "district": ("District", ("id",)),
        "place": ("Place", ("id",)),
        "places": (
            "PlaceConnection",
            ("districtId", "type", "search", "filter", "orderBy", "first", "after"),
        ),
        "placesNear": ("NearbyPlace", ("latitude", "longitude", "radiusMeters", "first")),
    },
    "District": {"places": ("PlaceConnection", ("first", "after"))},
    "Place": {"district": ("District", ()), "images": ("PlaceImage", ())},
    "PlaceImage": {"place": ("Place", ())},
    "PlaceConnection": {"edges": ("PlaceEdge", ()), "pageInfo": ("PageInfo", ())},
    "PlaceEdge": {"node": ("Place", ())},
    "NearbyPlace": {"place": ("Place", ())},
    "PageInfo": {},
}
REQUIRED = {("Query", "district"), ("Query", "place"), ("Query", "placesNear")}


@dataclass
class Ids:
    districts: list[int]
    places: list[int]


def cursor(place_id: int) -> str:
    return base64.urlsafe_b64encode(f"place:{place_id}".encode()).decode()


def gql_string(text: str) -> str:
    return json.dumps(text)  # a GraphQL string literal is a JSON one, for these characters


TEXTS = st.text(st.sampled_from(list('парк ЦАОмузейPark*[]\\"?ё')), max_size=4).map(gql_string)
COORDINATE = st.sampled_from(["55.7", "37.6", "-33.9", "151.2", "0", "91", "180"]).map(gql_string)
POINT = st.builds(lambda lat, lon: f"{{latitude: {lat}, longitude: {lon}}}", COORDINATE, COORDINATE)


def text_filter() -> st.SearchStrategy[str]:
    terms = st.lists(
        st.tuples(st.sampled_from(["contains", "startsWith"]), TEXTS),
        max_size=2,
        unique_by=lambda t: t[0],
    )
    return terms.map(lambda found: "{" + ", ".join(f"{k}: {v}" for k, v in found) + "}")


@st.composite
def place_filter(draw: st.DrawFn, ids: Ids, depth: int = 0) -> str:
    """A ``PlaceFilter`` literal: any terms, nested ``and``/``or``/``not`` (sometimes too deep)."""
    keys = ["title", "type", "districtId", "hasImages", "within", "near"]
    if depth < 6:
        keys += ["and", "or", "not"]
    terms = []
    for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
        if key == "title":
            value = draw(text_filter())
        elif key == "type":
            kinds = draw(st.lists(st.sampled_from(["PARK", "MUSEUM", "TEMPLE"]), max_size=2))
            value = f"{{in: [{', '.join(kinds)}]}}"
        elif key == "districtId":
            picked = draw(st.lists(st.sampled_from([*ids.districts, 0, 999_999]), max_size=3))
            value = f"{{in: [{', '.join(map(str, picked))}]}}"
        elif key == "hasImages":
            value = draw(st.sampled_from(["true", "false", "null"]))
        elif key == "within":
            lats = draw(st.lists(COORDINATE, min_size=2, max_size=2))
            lons = draw(st.lists(COORDINATE, min_size=2, max_size=2))
            value = (
                f"{{minLatitude: {lats[0]}, maxLatitude: {lats[1]}, "
                f"minLongitude: {lons[0]}, maxLongitude: {lons[1]}}}"
            )
        elif key == "near":
            lat, lon = draw(COORDINATE), draw(COORDINATE)
            radius = draw(st.sampled_from(["500", "3000", "100000", "0", "100001"]))
            value = f"{{latitude: {lat}, longitude: {lon}, radiusMeters: {radius}}}"
        elif key == "not":
            value = draw(place_filter(ids, depth + 1))
        else:
            items = draw(st.lists(place_filter(ids, depth + 1), max_size=2))
            value = f"[{', '.join(items)}]"
        terms.append(f"{key}: {value}")
    return "{" + ", ".join(terms) + "}"


@st.composite
def ordering(draw: st.DrawFn, fields: list[str]) -> str:
    orders = []
    for field in draw(st.lists(st.sampled_from(fields), max_size=3)):
        direction = draw(st.sampled_from(["", ", direction: ASC", ", direction: DESC"]))
        origin = ""
        if field == "DISTANCE" and draw(st.integers(0, 5)):
            origin = f", origin: {draw(POINT)}"
        orders.append(f"{{field: {field}{direction}{origin}}}")
    return f"[{', '.join(orders)}]"


def keyset_cursor(value: object) -> str:
    return gql_string(base64.urlsafe_b64encode(json.dumps(value).encode()).decode())


def argument(name: str, ids: Ids, field: str = "") -> st.SearchStrategy[str]:
    if name == "filter":
        if field == "districts":
            keys = st.sampled_from(["title", "abbreviation"])
            return st.one_of(
                st.builds(lambda k, v: f"{{{k}: {v}}}", keys, text_filter()),
                st.sampled_from(["{hasPlaces: true}", "{not: {hasPlaces: true}}", "{}"]),
            )
        return place_filter(ids)
    if name == "orderBy":
        if field == "districts":
            return ordering(["ID", "TITLE", "ABBREVIATION"])
        return ordering(["ID", "TITLE", "DISTANCE", "DISTRICT"])
    if name == "id":
        return st.sampled_from([*ids.districts, *ids.places, 999_999, 0]).map(str)
    if name == "districtId":
        return st.sampled_from([*ids.districts, 999_999]).map(str)
    if name == "first":
        return st.one_of(st.integers(0, 100), st.sampled_from([-1, 101, 1000])).map(str)
    if name == "after":
        return st.one_of(
            st.sampled_from([*ids.places, 0, 999_999_999_999]).map(cursor).map(gql_string),
            st.sampled_from(["bad", "", cursor(-1)[:-2]]).map(gql_string),
            st.sampled_from(
                [
                    ["title:asc,id:asc", "Музей", 3],
                    ["title:desc,id:asc", "Парк", 2],
                    ["district:asc,id:asc", ids.districts[0], 4],
                    ["id:desc", 5],
                    ["title:asc,id:asc", 5, 5],
                    ["distance@55.700000,37.600000:asc,id:asc", 1500.5, 2],
                ]
            ).map(keyset_cursor),
        )
    if name == "search":
        alphabet = st.sampled_from(list("парк ЦАОмузейPark%_*[]\\\"'?🌳"))
        return st.text(alphabet, max_size=6).map(gql_string)
    if name == "type":
        return st.sampled_from(["UNIQUE_PLACE", "PARK", "MUSEUM", "TEMPLE", "MONUMENT"])
    if name in ("latitude", "longitude"):
        values = ["55.753930", "37.620795", "-33.85", "0", "91", "55.7539301"]
        return st.one_of(
            st.sampled_from(values).map(gql_string), st.sampled_from(["55", "37.6", "-0.5"])
        )
    if name == "radiusMeters":
        return st.sampled_from(["1", "500", "3000", "20000", "100000", "0", "-5", "100001"])
    raise AssertionError(name)


@st.composite
def selection(
    draw: st.DrawFn, type_name: str, depth: int, ids: Ids, fragments: dict[str, str]
) -> str:
    """A selection set (without braces) on ``type_name``."""
    choices: list[str] = list(SCALARS[type_name])
    if depth < MAX_DEPTH:
        choices += list(OBJECTS[type_name])
    picked = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=4))
    parts: list[str] = []
    for name in picked:
        alias = draw(st.sampled_from(["", "", "a: ", "b: ", f"{name}: "]))
        directive = draw(
            st.sampled_from(
                ["", "", "", " @include(if: true)", " @skip(if: true)", " @skip(if: false)"]
            )
        )
        if name in OBJECTS[type_name]:
            target, arguments = OBJECTS[type_name][name]
            given_args = [
                f"{a}: {draw(argument(a, ids, name))}"
                for a in arguments
                if (type_name, name) in REQUIRED or draw(st.booleans())
            ]
            args = f"({', '.join(given_args)})" if given_args else ""
            inner = draw(selection(target, depth + 1, ids, fragments))
            parts.append(f"{alias}{name}{args}{directive} {{ {inner} }}")
        else:
            parts.append(f"{alias}{name}{directive}")
    wrap = draw(st.sampled_from(["plain", "plain", "inline", "named"]))
    body = " ".join(parts)
    if wrap == "inline":
        return f"... on {type_name} {{ {body} }}"
    if wrap == "named":
        name = f"F{len(fragments)}"
        fragments[name] = f"fragment {name} on {type_name} {{ {body} }}"
        return f"...{name}"
    return body


@st.composite
def documents(draw: st.DrawFn, ids: Ids) -> str:
    fragments: dict[str, str] = {}
    root = draw(selection("Query", 0, ids, fragments))
    return " ".join([f"query {{ {root} }}", *fragments.values()])


async def post(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query})


@settings(
    max_examples=int(os.environ.get("CITYGRAPH_DIFFERENTIAL_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_compiled_reads_equal_the_executor(
    data: st.DataObject,
    read_graph: ReadGraph,
    compiling_client: httpx.AsyncClient,
    executor_client: httpx.AsyncClient,
) -> None:
    client = compiling_client
    ids = Ids(read_graph.district_ids, read_graph.place_ids)
    query = data.draw(documents(ids), label="query")
    executed = await post(executor_client, query)
    first = await post(client, query)  # teaches the compiling app this document
    second = await post(client, query)  # compiled, if it can be
    assert (first.status_code, first.content) == (executed.status_code, executed.content)
    assert (second.status_code, second.content) == (executed.status_code, executed.content)


async def test_the_benchmark_queries_are_compiled(
    read_graph: ReadGraph,
    compiling_client: httpx.AsyncClient,
    executor_client: httpx.AsyncClient,
    monkeypatch: object,
) -> None:
    """The differential test is only as good as the share it compiles: the usual shapes do."""
    client = compiling_client
    compiled: list[str] = []
    original = CompiledReads.run

    async def run(self: CompiledReads, statement: object, connection: object = None) -> bytes:
        compiled.append(statement.sql)  # type: ignore[attr-defined]
        return await original(self, statement, connection)  # type: ignore[arg-type]

    monkeypatch.setattr(CompiledReads, "run", run)  # type: ignore[attr-defined]
    district = read_graph.district_ids[0]
    queries = [
        "{ districts { id title abbreviation image } }",
        f"{{ district(id: {district}) {{ id title places(first: 100) {{ edges {{ node {{ id title "
        "shortDescription fullDescription longitude latitude type images { id image } } } } } }",
        '{ places(search: "парк", first: 2) { totalCount pageInfo { hasNextPage endCursor } '
        "edges { cursor node { district { title } } } } }",
        '{ placesNear(latitude: "55.753930", longitude: "37.620795", radiusMeters: 5000) '
        "{ distanceMeters place { id } } }",
    ]
    for query in queries:
        executed = await post(executor_client, query)
        await post(client, query)
        again = await post(client, query)
        assert again.content == executed.content
    assert len(compiled) == len(queries)
