"""Staff mutations: permissions, DRF-worded field errors (camelCase), conflicts, cascades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from citygraph.config import Settings
from citygraph.services import Services
from tests.graphql.conftest import GQL, seed

CREATE_PLACE = """
  mutation($input: CreatePlaceInput!) {
    createPlace(input: $input) { id title latitude longitude type district { title } images { id } }
  }
"""


def media_files(settings: Settings) -> list[Path]:
    root = settings.media_root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def only_error(result: dict[str, Any]) -> dict[str, Any]:
    (error,) = result["errors"]
    return error  # type: ignore[no-any-return]


async def test_anonymous_and_non_staff_are_refused(
    gql: GQL, services: Services, user_token: str
) -> None:
    mutation = 'mutation { createDistrict(input: {title: "X"}) { id } }'
    anonymous = only_error(await gql(mutation))
    assert anonymous["extensions"] == {"code": "UNAUTHENTICATED"}
    assert anonymous["message"] == "Authentication credentials were not provided."
    assert anonymous["path"] == ["createDistrict"]
    plain = only_error(await gql(mutation, token=user_token))
    assert plain["extensions"] == {"code": "FORBIDDEN"}
    assert plain["message"] == "You do not have permission to perform this action."
    assert (await gql("{ districts { id } }"))["data"]["districts"] == []


async def test_district_lifecycle(gql: GQL, services: Services, staff_token: str) -> None:
    created = await gql(
        'mutation { createDistrict(input: {title: " Центральный ", abbreviation: "ЦАО"})'
        " { id title abbreviation image placeCount } }",
        token=staff_token,
    )
    district = created["data"]["createDistrict"]
    assert district == {
        "id": district["id"],
        "title": "Центральный",
        "abbreviation": "ЦАО",
        "image": None,
        "placeCount": 0,
    }
    updated = await gql(
        'mutation($id: Int!) { updateDistrict(id: $id, input: {title: "ЦАО"})'
        " { title abbreviation } }",
        {"id": district["id"]},
        token=staff_token,
    )
    assert updated["data"]["updateDistrict"] == {"title": "ЦАО", "abbreviation": "ЦАО"}
    deleted = await gql(
        "mutation($id: Int!) { deleteDistrict(id: $id) }", {"id": district["id"]}, token=staff_token
    )
    assert deleted == {"data": {"deleteDistrict": district["id"]}}
    again = only_error(
        await gql(
            "mutation($id: Int!) { deleteDistrict(id: $id) }",
            {"id": district["id"]},
            token=staff_token,
        )
    )
    assert again["extensions"] == {"code": "NOT_FOUND"}


async def test_district_field_errors(gql: GQL, services: Services, staff_token: str) -> None:
    result = await gql(
        "mutation($input: CreateDistrictInput!) { createDistrict(input: $input) { id } }",
        {"input": {"title": "", "abbreviation": "x" * 11}},
        token=staff_token,
    )
    assert result["data"] == {"createDistrict": None}
    error = only_error(result)
    assert error["message"] == "title: This field may not be blank."
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "title": ["This field may not be blank."],
            "abbreviation": ["Ensure this field has no more than 10 characters."],
        },
        "fieldCodes": {"title": ["blank"], "abbreviation": ["max_length"]},
    }
    long_title = await gql(
        'mutation { createDistrict(input: {title: "%s"}) { id } }' % ("я" * 101),
        token=staff_token,
    )
    assert only_error(long_title)["extensions"]["fields"] == {
        "title": ["Ensure this field has no more than 100 characters."]
    }


CREATE_DISTRICT = "mutation($input: CreateDistrictInput!) { createDistrict(input: $input) { id } }"


async def test_nul_characters_are_field_errors(
    gql: GQL, services: Services, staff_token: str
) -> None:
    """DRF's messages, every validator of a field together, never a database error."""
    variables = await gql(
        CREATE_DISTRICT,
        {"input": {"title": "x" * 101 + "\x00", "abbreviation": "a\x00"}},
        token=staff_token,
    )
    assert only_error(variables)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "title": [
                "Ensure this field has no more than 100 characters.",
                "Null characters are not allowed.",
            ],
            "abbreviation": ["Null characters are not allowed."],
        },
        "fieldCodes": {
            "title": ["max_length", "null_characters_not_allowed"],
            "abbreviation": ["null_characters_not_allowed"],
        },
    }
    assert (await gql("{ districts { id } }"))["data"]["districts"] == []


async def test_lone_surrogates_are_field_errors(
    gql: GQL, services: Services, staff_token: str
) -> None:
    """DRF's messages, never a database error (SQLite cannot store a lone surrogate).

    In the document itself the GraphQL lexer refuses a lone surrogate (raw or escaped) before
    any resolver runs; through variables (``"\\ud800"`` is valid JSON) it reaches the domain,
    which names the field, as the REST face does for the same body.
    """
    for document in (
        'mutation { createDistrict(input: {title: "\ud800"}) { id } }',
        r'mutation { createDistrict(input: {title: "\ud800"}) { id } }',
    ):
        refused = await gql(document, token=staff_token)
        assert only_error(refused)["message"].startswith("Syntax Error: Invalid "), refused
    single = await gql(CREATE_DISTRICT, {"input": {"title": "\ud800"}}, token=staff_token)
    assert only_error(single)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"title": ["Surrogate characters are not allowed: U+D800."]},
        "fieldCodes": {"title": ["surrogate_characters_not_allowed"]},
    }
    variables = await gql(
        CREATE_DISTRICT,
        {"input": {"title": "x" * 101 + "\x00\udfff", "abbreviation": "a\x00"}},
        token=staff_token,
    )
    assert only_error(variables)["extensions"]["fields"] == {
        "title": [
            "Ensure this field has no more than 100 characters.",
            "Null characters are not allowed.",
            "Surrogate characters are not allowed: U+DFFF.",
        ],
        "abbreviation": ["Null characters are not allowed."],
    }
    place = await gql(
        CREATE_PLACE,
        {
            "input": {
                "title": "\udc00",
                "shortDescription": "",
                "fullDescription": "",
                "latitude": "55.75",
                "longitude": "37.61",
                "type": "PARK",
                "districtId": 1,
            }
        },
        token=staff_token,
    )
    assert only_error(place)["extensions"]["fields"]["title"] == [
        "Surrogate characters are not allowed: U+DC00."
    ]


async def test_deleting_a_district_with_places_is_a_conflict(
    gql: GQL, services: Services, staff_token: str
) -> None:
    seeded = await seed(services, districts=1, places_per_district=1)
    error = only_error(
        await gql(
            "mutation($id: Int!) { deleteDistrict(id: $id) }",
            {"id": seeded.district_ids[0]},
            token=staff_token,
        )
    )
    assert error["extensions"] == {"code": "CONFLICT"}
    assert "still has places" in error["message"]


async def test_place_lifecycle_and_errors(gql: GQL, services: Services, staff_token: str) -> None:
    seeded = await seed(services, districts=1, places_per_district=0)
    district_id = seeded.district_ids[0]
    created = await gql(
        CREATE_PLACE,
        {
            "input": {
                "title": "Красная площадь",
                "latitude": "55.753930",
                "longitude": 37.620795,
                "type": "MONUMENT",
                "districtId": district_id,
            }
        },
        token=staff_token,
    )
    place = created["data"]["createPlace"]
    assert place == {
        "id": place["id"],
        "title": "Красная площадь",
        "latitude": "55.753930",
        "longitude": "37.620795",
        "type": "MONUMENT",
        "district": {"title": "District 0"},
        "images": [],
    }
    bad = await gql(
        CREATE_PLACE,
        {
            "input": {
                "title": "x" * 201,
                "shortDescription": "y" * 301,
                "latitude": "-90.0000001",
                "longitude": "181",
                "districtId": 99,
            }
        },
        token=staff_token,
    )
    assert only_error(bad)["message"] == "title: Ensure this field has no more than 200 characters."
    assert only_error(bad)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "title": ["Ensure this field has no more than 200 characters."],
            "shortDescription": ["Ensure this field has no more than 300 characters."],
            "longitude": ["Ensure this value is less than or equal to 180."],
            "latitude": ["Ensure that there are no more than 6 decimal places."],
            "districtId": ['Invalid pk "99" - object does not exist.'],
        },
        "fieldCodes": {
            "title": ["max_length"],
            "shortDescription": ["max_length"],
            "longitude": ["max_value"],
            "latitude": ["max_decimal_places"],
            "districtId": ["does_not_exist"],
        },
    }
    wrong_enum = await gql(
        'mutation { createPlace(input: {title: "t", latitude: "1", longitude: "1",'
        " districtId: 1, type: xyz}) { id } }",
        token=staff_token,
    )
    assert "data" not in wrong_enum  # a validation error: the operation never ran
    updated = await gql(
        'mutation($id: Int!) { updatePlace(id: $id, input: {type: PARK, latitude: "-1.5"})'
        " { title type latitude } }",
        {"id": place["id"]},
        token=staff_token,
    )
    assert updated["data"]["updatePlace"] == {
        "title": "Красная площадь",
        "type": "PARK",
        "latitude": "-1.500000",
    }
    nulls = await gql(
        "mutation($id: Int!) {"
        " updatePlace(id: $id, input: {title: null, districtId: null}) { id } }",
        {"id": place["id"]},
        token=staff_token,
    )
    assert only_error(nulls)["extensions"]["fields"] == {
        "title": ["This field may not be null."],
        "districtId": ["This field may not be null."],
    }
    assert only_error(nulls)["extensions"]["fieldCodes"] == {
        "title": ["null"],
        "districtId": ["null"],
    }
    deleted = await gql(
        "mutation($id: Int!) { deletePlace(id: $id) }", {"id": place["id"]}, token=staff_token
    )
    assert deleted == {"data": {"deletePlace": place["id"]}}
    assert (await gql("{ places { totalCount } }"))["data"]["places"]["totalCount"] == 0


async def test_mutations_run_in_order_and_one_failure_keeps_the_others(
    gql: GQL, services: Services, staff_token: str
) -> None:
    result = await gql(
        'mutation { a: createDistrict(input: {title: "A"}) { title }'
        ' b: createDistrict(input: {title: ""}) { title }'
        ' c: createDistrict(input: {title: "C"}) { title } }',
        token=staff_token,
    )
    assert result["data"] == {"a": {"title": "A"}, "b": None, "c": {"title": "C"}}
    assert [e["path"] for e in result["errors"]] == [["b"]]
    titles = await gql("{ districts { title } }")
    assert titles["data"]["districts"] == [{"title": "A"}, {"title": "C"}]


async def test_a_failed_first_mutation_keeps_the_next(
    gql: GQL, services: Services, staff_token: str
) -> None:
    """The first mutation fails while the request's transaction (the one that loaded the
    actor) is still open; its rollback must not break the mutations after it."""
    result = await gql(
        'mutation { bad: createDistrict(input: {title: ""}) { title }'
        ' good: createDistrict(input: {title: "B"}) { title } }',
        token=staff_token,
    )
    assert result["data"] == {"bad": None, "good": {"title": "B"}}, result["errors"]
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["bad"], "BAD_USER_INPUT")
    ]
    titles = await gql("{ districts { title } }")
    assert titles["data"]["districts"] == [{"title": "B"}]
