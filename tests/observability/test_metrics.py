"""``/metrics`` over HTTP on both databases: what an operator's Prometheus scrapes.

Requests and latency by face and route template, GraphQL latency by operation name, errors by
code (GraphQL ``extensions.code``, else the HTTP status), the database pool, rate-limit
refusals; and who may scrape: on in development, off in production unless switched on or
behind a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph import outbox
from citygraph.app import create_app
from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.support.users import create_account

PASSWORD = "Xy7!pQz9-long"
PRODUCTION = {"CITYGRAPH_ENV": "production", "CITYGRAPH_SECRET_KEY": "p" * 40}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
AppClient = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Services]]]


@pytest.fixture
def app_client(database_url: str, tmp_path: Path) -> AppClient:
    """A client of an app made with extra settings (and its services)."""

    @asynccontextmanager
    async def make(**overrides: object) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
        settings = make_settings(database_url, tmp_path / "media", **overrides)
        services = Services.from_settings(settings)
        await reset_database(services)
        app = create_app(settings, services=services)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield c, services
        finally:
            await services.aclose()

    return make


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def gql(client: httpx.AsyncClient, query: str, **extra: object) -> dict[str, object]:
    response = await client.post("/graphql", json={"query": query, **extra})
    body: dict[str, object] = response.json()
    return body


async def test_requests_operations_errors_and_pool(app_client: AppClient, backend: str) -> None:
    async with app_client() as (client, _services):
        assert (await client.get("/api/v1/disticts/")).status_code == 200
        assert (await client.get("/auth/users/7/")).status_code == 401
        assert (await client.get("/no/such/page")).status_code == 404
        body = await gql(client, "query Districts { districts { id } }")
        assert "errors" not in body
        await gql(client, "{ places(first: 1000) { totalCount } }", operationName=None)
        await gql(client, "query Oops { nope }")
        await gql(
            client,
            "query A { districts { id } } query B { places { totalCount } }",
            operationName="B",
        )

        samples = await scrape(client)
        requests = "citygraph_http_requests_total"
        assert (
            value(
                samples,
                requests,
                face="rest",
                route="/api/v1/disticts/",
                method="GET",
                status="200",
            )
            == 1
        )
        # The route template, not the path: ids do not make new series.
        assert (
            value(
                samples,
                requests,
                face="rest",
                route="/auth/users/{pk:djoser_lookup}/",
                method="GET",
                status="401",
            )
            == 1
        )
        assert (
            value(samples, requests, face="site", route="(unmatched)", method="GET", status="404")
            == 1
        )
        assert (
            value(samples, requests, face="graphql", route="/graphql", method="POST", status="200")
            == 4
        )
        latency = "citygraph_http_request_duration_seconds_count"
        assert value(samples, latency, face="graphql", route="/graphql") == 4
        operations = "citygraph_graphql_operation_duration_seconds_count"
        assert value(samples, operations, operation="Districts") == 1
        assert value(samples, operations, operation="(anonymous)") == 1
        assert value(samples, operations, operation="Oops") == 1
        assert value(samples, operations, operation="B") == 1
        errors = "citygraph_errors_total"
        assert value(samples, errors, face="graphql", code="BAD_USER_INPUT") == 1
        assert value(samples, errors, face="graphql", code="GRAPHQL_VALIDATION_FAILED") == 1
        assert value(samples, errors, face="rest", code="401") == 1
        assert value(samples, errors, face="site", code="404") == 1
        # The pool, read at scrape time: nothing is checked out between requests.
        assert value(samples, "citygraph_db_pool_connections", state="in_use") == 0
        if backend == "postgres":
            assert value(samples, "citygraph_db_pool_size") == 10
            assert value(samples, "citygraph_db_pool_connections", state="idle") >= 1


async def test_rate_limit_refusals_are_counted(app_client: AppClient) -> None:
    async with app_client(CITYGRAPH_RATE_LIMIT_LOGIN="2/minute") as (client, services):
        await create_account(
            services, "ivan", email="", password=PASSWORD, active=True, staff=False
        )
        login = 'mutation { createToken(username: "ivan", password: "wrong") { access } }'
        for _ in range(4):
            await gql(client, login)
        samples = await scrape(client)
        assert value(samples, "citygraph_rate_limit_refusals_total", action="login") == 2
        assert (
            value(samples, "citygraph_errors_total", face="graphql", code="TOO_MANY_REQUESTS") == 2
        )


async def test_operation_names_cannot_grow_the_series(app_client: AppClient) -> None:
    async with app_client() as (client, services):
        for index in range(205):
            await gql(client, f"query Op{index} {{ districts {{ id }} }}")
        await gql(client, "{ districts { id } }", operationName="not a name!")
        samples = await scrape(client)
        operations = "citygraph_graphql_operation_duration_seconds_count"
        named = {dict(labels)["operation"] for name, labels in samples if name == operations}
        assert len(named) <= 200 + 2  # the cap, plus (other) and (anonymous)
        assert value(samples, operations, operation="(other)") >= 6
        assert services.metrics.operation_label("x" * 65) == "(other)"


@pytest.mark.parametrize(
    ("overrides", "headers", "status"),
    [
        ({}, {}, 200),  # development: on
        ({"CITYGRAPH_METRICS": "off"}, {}, 404),
        (PRODUCTION, {}, 404),  # production: off by default
        ({**PRODUCTION, "CITYGRAPH_METRICS": "on"}, {}, 200),
        ({**PRODUCTION, "CITYGRAPH_METRICS_TOKEN": "s3cret-token"}, {}, 401),
        (
            {**PRODUCTION, "CITYGRAPH_METRICS_TOKEN": "s3cret-token"},
            {"Authorization": "Bearer wrong"},
            401,
        ),
        (
            {**PRODUCTION, "CITYGRAPH_METRICS_TOKEN": "s3cret-token"},
            {"Authorization": "Bearer s3cret-token"},
            200,
        ),
        ({"CITYGRAPH_METRICS_TOKEN": "dev-token"}, {}, 401),  # a token protects it anywhere
    ],
)
async def test_who_may_scrape(
    app_client: AppClient, overrides: dict[str, str], headers: dict[str, str], status: int
) -> None:
    async with app_client(**overrides) as (client, _services):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == status
        if status == 200:
            assert "citygraph_http_requests_total" in response.text
        else:
            assert "citygraph_" not in response.text


async def test_outbox_depth_is_read_at_each_scrape(app_client: AppClient) -> None:
    """Mail waiting in the shared outbox shows as a gauge (no worker runs in this app)."""
    async with app_client() as (client, services):
        assert value(await scrape(client), "citygraph_outbox_depth") == 0
        now = datetime.now(UTC)
        async with AsyncSession(services.engine) as session:
            session.add(outbox.new_message("a@example.com", "Subject", "Body", now))
            session.add(outbox.new_message("b@example.com", "Subject", "Body", now))
            await session.commit()
        assert value(await scrape(client), "citygraph_outbox_depth") == 2
