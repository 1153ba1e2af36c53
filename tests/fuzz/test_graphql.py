"""Generated GraphQL operations (schemathesis, from the introspected schema) with a staff token,
so the mutations run too, on SQLite and PostgreSQL: never a 5xx, never a masked internal error,
and every error either a request error (no ``path``) or one with a code of the error table.

schemathesis' own GraphQL checks count every resolver error as a server error; here a domain
answer (``BAD_USER_INPUT``, ``NOT_FOUND``...) is the expected outcome of random input, so the
invariants are checked directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from citygraph.config import Settings
from citygraph.graphql import errors
from citygraph.graphql.cost import QUERY_TOO_COSTLY
from citygraph.services import Services
from tests.fuzz.conftest import FUZZ_EXAMPLES, account
from tests.graphql.conftest import seed
from tests.support.server import live_server

CODES = {
    errors.UNAUTHENTICATED,
    errors.FORBIDDEN,
    errors.NOT_FOUND,
    errors.BAD_USER_INPUT,
    errors.CONFLICT,
    errors.TOO_MANY_REQUESTS,
    errors.RESPONSE_TOO_LARGE,
    QUERY_TOO_COSTLY,
}
#: Mutations that change or end the caller's own account run as a second, plain account, so
#: the staff account stays signed in for the rest of the run.
OWN_ACCOUNT = {"changeEmail", "changePassword", "changeUsername", "deleteAccount", "updateMe"}


# Coordinates as strings (exact) or numbers, in and out of range; an upload sent as JSON is
# a string, which the mutations refuse like any other non-file.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str).map(nodes.String),
        st.floats(-200, 200).map(nodes.Float),
        st.text(max_size=12).map(nodes.String),
    ),
)
schemathesis.graphql.scalar("Upload", st.text(max_size=8).map(nodes.String))
schemathesis.graphql.scalar(
    "DateTime", st.datetimes().map(lambda moment: nodes.String(moment.isoformat()))
)


def check(response: Any) -> None:
    assert response.status_code < 500, response.text
    payload = response.json()
    for error in payload.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code != errors.INTERNAL_SERVER_ERROR, payload
        if "path" in error:  # raised while executing: a domain answer
            assert code in CODES, payload


def fuzz(operation: Any, base_url: str, headers: dict[str, str], statuses: list[int]) -> None:
    """``FUZZ_EXAMPLES`` generated calls of one operation, each checked."""

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
        response = case.call(base_url=base_url, headers=headers)
        statuses.append(response.status_code)
        check(response)

    run()


async def test_generated_operations_get_no_server_error(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    staff = await account(services, "fuzzstaff", staff=True)
    plain = await account(services, "fuzzuser", staff=False)
    await seed(services, districts=2, places_per_district=3)
    with live_server(settings) as base_url:
        schema = schemathesis.graphql.from_url(f"{base_url}/graphql")
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) > 30
        statuses: list[int] = []
        for operation in operations:
            token = plain.token if operation.label.split(".")[-1] in OWN_ACCOUNT else staff.token
            fuzz(operation, base_url, {"Authorization": f"JWT {token}"}, statuses)
    assert len(statuses) >= 2 * len(operations)
    assert statuses.count(200) > len(statuses) // 2  # mostly executed, not refused
