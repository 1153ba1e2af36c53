"""Two ``citygraph serve`` processes, as two machines behind a load balancer, sharing one
PostgreSQL database, one Redis and one S3 store (moto): what one instance writes or revokes,
the other serves or refuses."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from citygraph.config import Settings
from citygraph.services import Services
from tests.conftest import make_settings
from tests.graphql.conftest import make_user
from tests.storage.conftest import BUCKET
from tests.storage.test_uploads import ADD_IMAGE, png, prefix_of
from tests.support.pg import PostgresDatabase, provision_postgres
from tests.support.redis import redis_db
from tests.support.s3 import MotoServer, s3_settings
from tests.support.serve import citygraph_serve

pytestmark = pytest.mark.postgres

CITYGRAPH = Path(sys.executable).with_name("citygraph")
# A database of its own, next to this run's (CITYGRAPH_TEST_REDIS_URL): its login budgets are
# flushed before the deployment starts.
REDIS_URL = redis_db(-1)
LOGIN_BUDGET = 3
CREATE_PLACE = "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id } }"


@dataclass
class Deployment:
    a: str
    b: str
    settings: Settings
    moto: MotoServer
    storage_url: str


@pytest.fixture(scope="module")
def shared_database() -> Iterator[PostgresDatabase]:
    database = provision_postgres(fresh=True)
    if database is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("PostgreSQL is not reachable")
    yield database
    database.drop()


def _environment(overrides: dict[str, object]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYGRAPH_")}
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def _forget_login_budgets() -> None:
    """Budgets are per address too, and every request here comes from 127.0.0.1."""
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)


@pytest.fixture(scope="module")
def deployment(
    shared_database: PostgresDatabase,
    moto: MotoServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """One deployment for the module: starting two servers is the slow part."""
    tmp_path = tmp_path_factory.mktemp("two-instances")
    storage_url = f"s3://{BUCKET}/two-instances-{uuid.uuid4().hex[:8]}"
    _forget_login_budgets()
    overrides: dict[str, object] = {
        "DATABASE_URL": shared_database.url,
        "CITYGRAPH_SECRET_KEY": "two-instances-shared-secret-key-0123456789abcdef",
        "CITYGRAPH_REDIS_URL": REDIS_URL,
        "CITYGRAPH_RATE_LIMIT_LOGIN": f"{LOGIN_BUDGET}/minute",
        **s3_settings(moto.endpoint, storage_url),
        "CITYGRAPH_LOG_LEVEL": "warning",
    }
    env = _environment(overrides)
    subprocess.run([str(CITYGRAPH), "migrate"], env=env, check=True, capture_output=True)
    with contextlib.ExitStack() as stack:
        bases = []
        for name in ("a", "b"):
            instance_env = {**env, "CITYGRAPH_MEDIA_ROOT": str(tmp_path / f"{name}-media")}
            folder = tmp_path / name
            folder.mkdir()
            served = stack.enter_context(
                citygraph_serve(instance_env, folder, "--host", "127.0.0.1")
            )
            bases.append(served.base_url)
        settings_overrides = {k: v for k, v in overrides.items() if k != "DATABASE_URL"}
        settings = make_settings(shared_database.url, tmp_path / "media", **settings_overrides)
        yield Deployment(bases[0], bases[1], settings, moto, storage_url)


async def _staff_token(settings: Settings, username: str) -> str:
    services = Services.from_settings(settings)
    try:
        return await make_user(services, username, staff=True)
    finally:
        await services.aclose()


def _on(base: str, url: str) -> str:
    """The same media path, asked of another instance."""
    return base + "/media/" + url.split("/media/", 1)[1]


async def _in_bucket(deployment: Deployment, url: str) -> httpx.Response:
    key = url.split("/media/", 1)[1]
    object_url = deployment.moto.object_url(BUCKET, f"{prefix_of(deployment.storage_url)}/{key}")
    async with httpx.AsyncClient() as raw:
        return await raw.get(object_url)


async def test_a_photo_uploaded_on_one_instance_is_served_by_the_other(
    deployment: Deployment, unique: str
) -> None:
    token = await _staff_token(deployment.settings, f"staff{unique}")
    auth = {"Authorization": f"JWT {token}"}
    district_image, place_image = png(color="navy"), png(color="orange")
    async with httpx.AsyncClient(timeout=20) as http:
        created = await http.post(
            f"{deployment.a}/api/v1/district_create/",
            data={"title": "Тверской", "abbreviation": "ТВР"},
            files={"image": ("d.png", district_image, "image/png")},
            headers=auth,
        )
        assert created.status_code == 201, created.text
        served = await http.get(_on(deployment.b, created.json()["image"]))
        assert served.status_code == 200
        assert served.content == district_image

        place = await http.post(
            f"{deployment.a}/graphql",
            json={
                "query": CREATE_PLACE,
                "variables": {
                    "input": {
                        "title": "Сад",
                        "shortDescription": "s",
                        "fullDescription": "f",
                        "latitude": 55.75,
                        "longitude": 37.61,
                        "type": "PARK",
                        "districtId": created.json()["id"],
                    }
                },
            },
            headers=auth,
        )
        assert "errors" not in place.json(), place.text
        place_id = place.json()["data"]["createPlace"]["id"]
        operations = {"query": ADD_IMAGE, "variables": {"id": place_id, "image": None}}
        added = await http.post(
            f"{deployment.a}/graphql",
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
            files={"0": ("p.png", place_image, "image/png")},
            headers=auth,
        )
        assert "errors" not in added.json(), added.text
        image_url = added.json()["data"]["addPlaceImage"]["image"]
        served = await http.get(_on(deployment.b, image_url))
        assert served.status_code == 200
        assert served.content == place_image

        # Deleted through B: the place's photo leaves the shared store, so A cannot serve it.
        deleted = await http.post(
            f"{deployment.b}/graphql",
            json={
                "query": "mutation($id: Int!) { deletePlace(id: $id) }",
                "variables": {"id": place_id},
            },
            headers=auth,
        )
        assert "errors" not in deleted.json(), deleted.text
        assert (await _in_bucket(deployment, image_url)).status_code == 404
        assert (await http.get(_on(deployment.a, image_url))).status_code == 404


async def test_a_refresh_token_revoked_on_one_instance_is_refused_by_the_other(
    deployment: Deployment, unique: str
) -> None:
    username = f"revoke{unique}"
    await _staff_token(deployment.settings, username)
    async with httpx.AsyncClient(timeout=20) as http:
        pair = await http.post(
            f"{deployment.a}/auth/jwt/create/", json={"username": username, "password": "x" * 12}
        )
        assert pair.status_code == 200, pair.text
        refresh = pair.json()["refresh"]
        assert (
            await http.post(f"{deployment.b}/auth/jwt/refresh/", json={"refresh": refresh})
        ).status_code == 200
        revoked = await http.post(
            f"{deployment.a}/graphql",
            json={
                "query": "mutation($r: String!) { logout(refresh: $r) }",
                "variables": {"r": refresh},
            },
        )
        assert revoked.json() == {"data": {"logout": True}}, revoked.text
        refused = await http.post(f"{deployment.b}/auth/jwt/refresh/", json={"refresh": refresh})
        assert refused.status_code == 401
        assert refused.json()["code"] == "token_not_valid"


async def test_a_login_budget_spent_on_one_instance_holds_on_the_other(
    deployment: Deployment, unique: str
) -> None:
    _forget_login_budgets()
    username = f"budget{unique}"
    await _staff_token(deployment.settings, username)
    wrong = {"username": username, "password": "not-the-password"}
    async with httpx.AsyncClient(timeout=20) as http:
        for _ in range(LOGIN_BUDGET):
            refused = await http.post(f"{deployment.a}/auth/jwt/create/", json=wrong)
            assert refused.status_code == 401, refused.text
        right = {"username": username, "password": "x" * 12}
        limited = await http.post(f"{deployment.b}/auth/jwt/create/", json=right)
        assert limited.status_code == 429, limited.text
        assert "Retry-After" in limited.headers
