"""A real uvicorn per test (WebSockets and streams need a socket) and the operations the live
tests make: changes through GraphQL and REST, subscriptions to watch them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from citygraph.config import Settings
from citygraph.services import Services
from tests.graphql.conftest import make_user
from tests.support.server import live_server

PLACE_CHANGED = """subscription($districtId: Int) {
  placeChanged(districtId: $districtId) { kind id districtIds node { id title district { id } } }
}"""
DISTRICT_CHANGED = "subscription { districtChanged { kind id node { id title abbreviation } } }"
CREATE_DISTRICT = "mutation($t: String!) { createDistrict(input: {title: $t}) { id } }"
UPDATE_DISTRICT = (
    "mutation($id: Int!, $t: String!) { updateDistrict(id: $id, input: {title: $t}) { id } }"
)
DELETE_DISTRICT = "mutation($id: Int!) { deleteDistrict(id: $id) }"
CREATE_PLACE = """mutation($t: String!, $d: Int!) {
  createPlace(input: {title: $t, latitude: "55.75", longitude: "37.62", districtId: $d}) { id }
}"""
UPDATE_PLACE = """mutation($id: Int!, $input: UpdatePlaceInput!) {
  updatePlace(id: $id, input: $input) { id }
}"""
DELETE_PLACE = "mutation($id: Int!) { deletePlace(id: $id) }"


@dataclass
class Writer:
    """Staff changes through one server's GraphQL and REST faces (one kept-alive connection:
    a new httpx client per request would add its ~200 ms of set-up to every figure)."""

    base: str
    token: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"JWT {self.token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def create_district(self, title: str) -> int:
        return int(self.graphql(CREATE_DISTRICT, t=title)["createDistrict"]["id"])

    def create_district_rest(self, title: str) -> int:
        response = self.http.post(
            f"{self.base}/api/v1/district_create/",
            content=json.dumps({"title": title, "abbreviation": "ТСТ"}),
            headers={"Authorization": f"JWT {self.token}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def create_place(self, title: str, district_id: int) -> int:
        return int(self.graphql(CREATE_PLACE, t=title, d=district_id)["createPlace"]["id"])

    def update_place(self, place_id: int, **fields: Any) -> None:
        self.graphql(UPDATE_PLACE, id=place_id, input=fields)

    def delete_place(self, place_id: int) -> None:
        self.graphql(DELETE_PLACE, id=place_id)


@dataclass
class Live:
    base: str
    writer: Writer
    staff_token: str


@pytest.fixture
async def live(settings: Settings, services: Services) -> AsyncIterator[Live]:
    token = await make_user(services, "staff", staff=True)
    with live_server(settings) as base:
        writer = Writer(base, token)
        try:
            yield Live(base, writer, token)
        finally:
            writer.http.close()
