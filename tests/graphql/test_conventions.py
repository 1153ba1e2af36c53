"""The schema's conventions: nullable ``me`` and mutation results, Int ids, camelCase field
names in validation errors, and Relay's ``hasNextPage``/``hasPreviousPage``.

Queries are sent twice and must get the same answer both times: the first request runs the
resolvers, a repeated query that compiles is answered from one SQL statement, and the
conventions hold on both paths (and on both databases, through the ``services`` fixture). The
response cache is off here, so that a repeated query reaches the compiled read instead of
being replayed from memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInputField,
    GraphQLNonNull,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_input_object_type,
    is_object_type,
)

from citygraph.config import Settings
from citygraph.graphql.schema import export_sdl
from citygraph.services import Services
from tests.conftest import make_settings
from tests.graphql.conftest import GQL, make_user, seed
from tests.support.sql import recorded_statements


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "media", CITYGRAPH_RESPONSE_CACHE=False)


def sdl_schema() -> GraphQLSchema:
    return build_schema(export_sdl())


async def answer(
    gql: GQL,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    services: Services | None = None,
) -> dict[str, Any]:
    """The response to ``query``, which must not change when the query is repeated; with
    ``services``, the repeat must be the compiled read: none of the resolvers' statements
    (they go through the engine; the compiled read hands its one statement to the driver)."""
    first = await gql(query, variables, token=token)
    if services is None:
        again = await gql(query, variables, token=token)
    else:
        with recorded_statements(services) as statements:
            again = await gql(query, variables, token=token)
        assert statements == []
    assert again == first, (first, again)
    return first


def field_error_keys(error: dict[str, Any]) -> tuple[list[str], list[str]]:
    extensions = error["extensions"]
    return list(extensions["fields"]), list(extensions["fieldCodes"])


# --- me ---------------------------------------------------------------------------------------


async def test_anonymous_me_is_null_next_to_districts(gql: GQL, services: Services) -> None:
    seeded = await seed(services, districts=2, places_per_district=0)
    result = await answer(gql, "{ districts { id title } me { id username } }")
    assert result == {
        "data": {
            "districts": [
                {"id": seeded.district_ids[0], "title": "District 0"},
                {"id": seeded.district_ids[1], "title": "District 1"},
            ],
            "me": None,
        }
    }
    assert "errors" not in result


async def test_me_for_an_account_has_an_int_id(gql: GQL, services: Services) -> None:
    token = await make_user(services, "ivan", staff=False)
    result = await answer(gql, "{ me { id username isStaff } districts { id } }", token=token)
    me = result["data"]["me"]
    assert isinstance(me["id"], int)
    assert not isinstance(me["id"], bool)
    assert me == {"id": me["id"], "username": "ivan", "isStaff": False}
    assert result["data"]["districts"] == []
    own = await gql(
        "query($id: Int!) { user(id: $id) { id username } }", {"id": me["id"]}, token=token
    )
    assert own == {"data": {"user": {"id": me["id"], "username": "ivan"}}}


async def test_a_refused_query_field_is_null_and_keeps_the_others(
    gql: GQL, services: Services
) -> None:
    """``users`` needs an account: anonymous callers get null and an error for it alone."""
    seeded = await seed(services, districts=1, places_per_district=0)
    result = await gql("{ districts { id } users { id } me { id } }")
    assert result["data"] == {
        "districts": [{"id": seeded.district_ids[0]}],
        "users": None,
        "me": None,
    }
    (error,) = result["errors"]
    assert error["path"] == ["users"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}


# --- ids --------------------------------------------------------------------------------------


def _id_like(name: str) -> bool:
    return name == "id" or name.endswith("Id")


def test_every_id_is_an_int() -> None:
    schema = sdl_schema()
    seen: list[str] = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if not (is_object_type(graphql_type) or is_input_object_type(graphql_type)):
            continue
        fields: dict[str, GraphQLField | GraphQLInputField] = dict(graphql_type.fields)
        for field_name, field in fields.items():
            where = f"{type_name}.{field_name}"
            assert get_named_type(field.type).name != "ID", where
            if _id_like(field_name):
                # a filter on ids is an IdFilter, whose `in` holds Ints (checked as it is seen)
                assert get_named_type(field.type).name in ("Int", "IdFilter"), where
                seen.append(where)
            if type_name == "IdFilter":
                assert get_named_type(field.type).name == "Int", where
            for arg_name, arg in getattr(field, "args", {}).items():
                assert get_named_type(arg.type).name != "ID", f"{where}({arg_name})"
                if _id_like(arg_name):
                    assert get_named_type(arg.type).name == "Int", f"{where}({arg_name})"
                    seen.append(f"{where}({arg_name})")
    for expected in (
        "User.id",
        "District.id",
        "Place.id",
        "PlaceImage.id",
        "Query.user(id)",
        "Query.places(districtId)",
        "CreatePlaceInput.districtId",
        "Mutation.activateUser(id)",
        "Mutation.deactivateUser(id)",
        "Mutation.addPlaceImage(placeId)",
    ):
        assert expected in seen, expected
    assert "Profile" not in schema.type_map
    assert "profile" not in schema.query_type.fields  # type: ignore[union-attr]


async def test_user_by_int_id_replaces_profile(gql: GQL, services: Services) -> None:
    staff = await make_user(services, "boss", staff=True)
    me = (await gql("{ me { id } }", token=staff))["data"]["me"]
    found = await gql(
        "query($id: Int!) { user(id: $id) { id username } }", {"id": me["id"]}, token=staff
    )
    assert found == {"data": {"user": {"id": me["id"], "username": "boss"}}}
    as_text = await gql('{ user(id: "1") { id } }', token=staff)
    assert "data" not in as_text  # a String is not an Int: refused before anything runs
    old = await gql("{ profile(id: 1) { id } }", token=staff)
    assert "data" not in old
    assert "Cannot query field 'profile'" in old["errors"][0]["message"]


# --- nullable mutation results ----------------------------------------------------------------


def test_me_and_every_mutation_result_are_nullable() -> None:
    schema = sdl_schema()
    assert schema.mutation_type is not None
    assert schema.query_type is not None
    assert not isinstance(schema.query_type.fields["me"].type, GraphQLNonNull)
    required = [
        name
        for name, field in schema.mutation_type.fields.items()
        if isinstance(field.type, GraphQLNonNull)
    ]
    assert required == []
    names = set(schema.mutation_type.fields)
    assert {
        "createToken",
        "refreshToken",
        "verifyToken",
        "registerAccount",
        "changeEmail",
    } <= names
    assert not names & {"tokenCreate", "tokenRefresh", "tokenVerify", "register", "updateMe"}


async def test_failing_mutations_leave_the_other_results(
    gql: GQL, services: Services, staff_token: str
) -> None:
    result = await gql(
        "mutation {"
        ' a: createDistrict(input: {title: "A"}) { title }'
        ' verify: verifyToken(token: "garbage")'
        ' login: createToken(username: "nobody", password: "Wrong-password-1") { access }'
        ' account: registerAccount(username: "no spaces allowed", password: "Lantern-Ocean-73")'
        " { id }"
        ' b: createDistrict(input: {title: "B"}) { title }'
        " }",
        token=staff_token,
    )
    assert result["data"] == {
        "a": {"title": "A"},
        "verify": None,
        "login": None,
        "account": None,
        "b": {"title": "B"},
    }, result["errors"]
    errors = {tuple(error["path"]): error for error in result["errors"]}
    assert list(errors) == [("verify",), ("login",), ("account",)]
    assert errors[("verify",)]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert errors[("login",)]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert errors[("login",)]["message"] == "No active account found with the given credentials"
    assert errors[("account",)]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[("account",)]["extensions"]["fieldCodes"] == {"username": ["invalid"]}
    titles = await gql("{ districts { title } }")
    assert titles["data"]["districts"] == [{"title": "A"}, {"title": "B"}]
    users = await gql("{ users { username } }", token=staff_token)
    assert users["data"]["users"] == [{"username": "staff"}]


# --- camelCase field names in validation errors -----------------------------------------------


async def test_validation_errors_name_fields_in_camel_case(
    gql: GQL, services: Services, staff_token: str, user_token: str
) -> None:
    seeded = await seed(services, districts=1, places_per_district=0)
    place = await gql(
        "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id } }",
        {
            "input": {
                "title": "Фонтан",
                "shortDescription": "д" * 301,
                "latitude": "55.75",
                "longitude": "37.61",
                "districtId": seeded.district_ids[0] + 1000,
            }
        },
        token=staff_token,
    )
    assert place["data"] == {"createPlace": None}
    (error,) = place["errors"]
    assert (
        error["message"] == "shortDescription: Ensure this field has no more than 300 characters."
    )
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "shortDescription": ["Ensure this field has no more than 300 characters."],
            "districtId": [
                f'Invalid pk "{seeded.district_ids[0] + 1000}" - object does not exist.'
            ],
        },
        "fieldCodes": {"shortDescription": ["max_length"], "districtId": ["does_not_exist"]},
    }

    password = await gql(
        'mutation { changePassword(currentPassword: "wrong", newPassword: "") }', token=user_token
    )
    assert password["data"] == {"changePassword": None}
    (error,) = password["errors"]
    assert error["message"] == "newPassword: This field may not be blank."
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "newPassword": ["This field may not be blank."],
            "currentPassword": ["Invalid password."],
        },
        "fieldCodes": {"newPassword": ["blank"], "currentPassword": ["invalid_password"]},
    }

    near = await gql(
        '{ placesNear(latitude: "55.75", longitude: "37.61", radiusMeters: 0) { distanceMeters } }'
    )
    (error,) = near["errors"]
    assert error["message"] == "radiusMeters: Ensure this value is greater than 0."
    assert error["extensions"]["fieldCodes"] == {"radiusMeters": ["exclusive_min_value"]}

    for payload in (place, password, near):
        fields, codes = field_error_keys(payload["errors"][0])
        assert fields == codes
        assert not [name for name in fields if "_" in name], fields


# --- Relay --------------------------------------------------------------------------------------

PLACES = """
  query($d: Int, $first: Int!, $after: String) {
    places(districtId: $d, first: $first, after: $after) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
"""

DISTRICT_PLACES = """
  query($id: Int!, $first: Int!, $after: String) {
    district(id: $id) {
      places(first: $first, after: $after) {
        totalCount
        edges { node { id } }
        pageInfo { hasNextPage hasPreviousPage }
      }
    }
  }
"""


async def cursors(gql: GQL) -> dict[int, str]:
    result = await gql("{ places(first: 100) { edges { cursor node { id } } } }")
    return {edge["node"]["id"]: edge["cursor"] for edge in result["data"]["places"]["edges"]}


async def places_page(gql: GQL, services: Services, **variables: Any) -> dict[str, Any]:
    result = await answer(gql, PLACES, variables, services=services)
    assert "errors" not in result, result
    page: dict[str, Any] = result["data"]["places"]
    return page


async def district_page(gql: GQL, services: Services, **variables: Any) -> dict[str, Any]:
    result = await answer(gql, DISTRICT_PLACES, variables, services=services)
    assert "errors" not in result, result
    page: dict[str, Any] = result["data"]["district"]["places"]
    return page


def ids(page: dict[str, Any]) -> list[int]:
    return [edge["node"]["id"] for edge in page["edges"]]


def flags(page: dict[str, Any]) -> tuple[bool, bool]:
    return page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]


async def test_first_zero_says_whether_there_is_a_next_page(gql: GQL, services: Services) -> None:
    seeded = await seed(services, districts=2, places_per_district=3, images_per_place=0)
    empty = await seed(services, districts=1, places_per_district=0)
    by_id = await cursors(gql)
    last = seeded.place_ids[-1]

    none_yet = await places_page(gql, services, first=0)
    assert none_yet == {
        "totalCount": 6,
        "edges": [],
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }
    assert flags(await places_page(gql, services, first=0, d=seeded.district_ids[1])) == (
        True,
        False,
    )
    assert flags(await places_page(gql, services, first=0, d=empty.district_ids[0])) == (
        False,
        False,
    )
    assert flags(await places_page(gql, services, first=0, after=by_id[last])) == (False, True)
    assert flags(await places_page(gql, services, first=0, after=by_id[seeded.place_ids[1]])) == (
        True,
        True,
    )

    nested = await district_page(gql, services, id=seeded.district_ids[0], first=0)
    assert (nested["edges"], nested["totalCount"], flags(nested)) == ([], 3, (True, False))
    nested_empty = await district_page(gql, services, id=empty.district_ids[0], first=0)
    assert flags(nested_empty) == (False, False)
    every = await answer(
        gql, "{ districts { places(first: 0) { pageInfo { hasNextPage } } } }", services=services
    )
    assert [d["places"]["pageInfo"]["hasNextPage"] for d in every["data"]["districts"]] == [
        True,
        True,
        False,
    ]


async def test_has_previous_page_only_when_matches_precede_the_cursor(
    gql: GQL, services: Services
) -> None:
    seeded = await seed(services, districts=2, places_per_district=3, images_per_place=0)
    first_district, second_district = seeded.district_ids
    a_ids, b_ids = seeded.place_ids[:3], seeded.place_ids[3:]
    by_id = await cursors(gql)

    # A cursor taken in the first district precedes every place of the second one.
    before_any = await places_page(
        gql, services, d=second_district, first=10, after=by_id[a_ids[0]]
    )
    assert (ids(before_any), flags(before_any)) == (b_ids, (False, False))
    before_any = await places_page(gql, services, d=second_district, first=1, after=by_id[a_ids[2]])
    assert (ids(before_any), flags(before_any)) == (b_ids[:1], (True, False))
    after_some = await places_page(
        gql, services, d=second_district, first=10, after=by_id[b_ids[0]]
    )
    assert (ids(after_some), flags(after_some)) == (b_ids[1:], (False, True))
    after_all = await places_page(gql, services, d=second_district, first=10, after=by_id[b_ids[2]])
    assert (ids(after_all), flags(after_all)) == ([], (False, True))
    unfiltered = await places_page(gql, services, first=2, after=by_id[a_ids[0]])
    assert (ids(unfiltered), flags(unfiltered)) == (a_ids[1:], (True, True))
    assert unfiltered["pageInfo"]["startCursor"] == by_id[a_ids[1]]
    assert unfiltered["pageInfo"]["endCursor"] == by_id[a_ids[2]]

    nested_before = await district_page(
        gql, services, id=second_district, first=10, after=by_id[a_ids[1]]
    )
    assert (ids(nested_before), flags(nested_before)) == (b_ids, (False, False))
    nested_after = await district_page(
        gql, services, id=second_district, first=1, after=by_id[b_ids[0]]
    )
    assert (ids(nested_after), flags(nested_after)) == (b_ids[1:2], (True, True))
    nested_first = await district_page(
        gql, services, id=first_district, first=10, after=by_id[b_ids[0]]
    )
    assert (ids(nested_first), flags(nested_first)) == ([], (False, True))
    assert nested_first["totalCount"] == 3
