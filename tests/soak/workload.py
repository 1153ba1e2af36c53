"""The soak's clients: 90% reads over REST and GraphQL, 10% writes, each answer recorded.

A write is *acknowledged* when the server said it was done (2xx, and for GraphQL data without
errors); the ledger keeps what each acknowledged write promised, for ``verify`` to find later,
and the writes whose outcome is unknown (a 5xx or a cut connection: done or not, nobody knows).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

PASSWORD = "Xy7!pQz9-long"
DB_OPS = ("create_place", "add_image", "register", "login")  # never answered from a cache

DISTRICTS_QUERY = "{ districts { id title placeCount places(first: 5) { edges { node { id } } } } }"
PLACES_QUERY = """
query($search: String) {
  places(search: $search, first: 20) { totalCount edges { node { id title latitude } } }
}"""
CREATE_PLACE = """
mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id title } }"""
ADD_IMAGE = """
mutation($placeId: Int!, $image: Upload!) { addPlaceImage(placeId: $placeId, image: $image) {
  id image } }"""


@dataclass
class Ledger:
    """Acknowledged writes (what they promised) and writes of unknown outcome."""

    places: dict[str, int] = field(default_factory=dict)  # title -> id
    images: dict[int, int] = field(default_factory=dict)  # image id -> place id
    image_attempts: Counter[int] = field(default_factory=Counter)  # place id -> unknown outcomes
    accounts: dict[str, str] = field(default_factory=dict)  # username -> e-mail
    unknown: Counter[str] = field(default_factory=Counter)  # operation -> unknown outcomes


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # (sent, answered, operation, status), in seconds since ``started``
    events: list[tuple[float, float, str, str]] = field(default_factory=list)

    def record(self, operation: str, status: str, seconds: float) -> None:
        self.statuses[operation][status] += 1
        self.latencies[operation].append(seconds)
        answered = time.monotonic() - self.started
        self.events.append((answered - seconds, answered, operation, status))


def outcome(response: httpx.Response) -> str:
    """The status, with GraphQL's masked server errors (HTTP 200 or not) told apart."""
    status = str(response.status_code)
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            body = response.json()
        except ValueError:
            return status
        errors = body.get("errors") if isinstance(body, dict) else None
        codes = {e.get("extensions", {}).get("code") for e in errors or [] if isinstance(e, dict)}
        if "INTERNAL_SERVER_ERROR" in codes:
            return f"{status} INTERNAL_SERVER_ERROR"
    return status


def acceptable(status: str) -> bool:
    """2xx, 4xx or 503: what clients can act on. Anything else fails the soak."""
    return status.isdigit() and (status[0] in "24" or status == "503")


def png(seed: int) -> bytes:
    image = Image.new("RGB", (24, 24), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Workload:
    """Operations against one server; ``run_client`` loops over them until the deadline."""

    def __init__(self, client: httpx.AsyncClient, staff: str, run: str, district_ids: list[int]):
        self.client = client
        self.staff = {"Authorization": f"JWT {staff}"}
        self.run = run
        self.district_ids = district_ids
        self.ledger = Ledger()
        self.stats = Stats()
        self.numbers = itertools.count(1)
        ops: list[tuple[str, Callable[[], Awaitable[httpx.Response]], int]] = [
            ("rest_districts", self.rest_districts, 20),
            ("rest_places", self.rest_places, 20),
            ("gql_districts", self.gql_districts, 25),
            ("gql_places", self.gql_places, 25),
            ("create_place", self.create_place, 4),
            ("add_image", self.add_image, 2),
            ("register", self.register, 2),
            ("login", self.login, 2),
        ]
        self.names = [name for name, _, _ in ops]
        self.calls = {name: call for name, call, _ in ops}
        self.weights = [weight for _, _, weight in ops]

    async def run_client(self, deadline: float, rng: random.Random) -> None:
        while time.monotonic() < deadline:
            name = rng.choices(self.names, self.weights)[0]
            if name == "add_image" and not self.ledger.places:
                name = "create_place"
            started = time.perf_counter()
            try:
                response = await self.calls[name]()
                status = outcome(response)
            except httpx.HTTPError as exc:
                status = f"transport {type(exc).__name__}"
                self.ledger.unknown[name] += 1
            self.stats.record(name, status, time.perf_counter() - started)

    # --- reads --------------------------------------------------------------------------------

    async def rest_districts(self) -> httpx.Response:
        return await self.client.get("/api/v1/disticts/")

    async def rest_places(self) -> httpx.Response:
        district = random.choice(self.district_ids)
        return await self.client.get("/api/v1/places/", params={"district_id": district})

    async def gql_districts(self) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": DISTRICTS_QUERY})

    async def gql_places(self) -> httpx.Response:
        search = random.choice(["парк", "музей", "soak", "центр", None])
        return await self.client.post(
            "/graphql", json={"query": PLACES_QUERY, "variables": {"search": search}}
        )

    # --- writes -------------------------------------------------------------------------------

    def _settle(self, name: str, response: httpx.Response) -> dict[str, Any] | None:
        """The GraphQL data of an acknowledged write; notes an unknown outcome on a 5xx."""
        if response.status_code >= 500:
            self.ledger.unknown[name] += 1
            return None
        if response.status_code != 200:
            return None
        body = response.json()
        if body.get("errors"):
            if outcome(response).endswith("INTERNAL_SERVER_ERROR"):
                self.ledger.unknown[name] += 1
            return None
        data: dict[str, Any] = body["data"]
        return data

    async def create_place(self) -> httpx.Response:
        number = next(self.numbers)
        title = f"soak-{self.run}-{number}"
        variables = {
            "input": {
                "title": title,
                "latitude": f"55.{700000 + number % 99999:06d}",
                "longitude": f"37.{600000 + number % 99999:06d}",
                "districtId": random.choice(self.district_ids),
                "shortDescription": "soak",
            }
        }
        response = await self.client.post(
            "/graphql", json={"query": CREATE_PLACE, "variables": variables}, headers=self.staff
        )
        data = self._settle("create_place", response)
        if data and data["createPlace"]:
            self.ledger.places[title] = data["createPlace"]["id"]
        return response

    async def add_image(self) -> httpx.Response:
        place_id = random.choice(list(self.ledger.places.values()))
        number = next(self.numbers)
        operations = {"query": ADD_IMAGE, "variables": {"placeId": place_id, "image": None}}
        response = await self.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.image"]}),
            },
            files={"0": (f"soak-{number}.png", png(number), "image/png")},
            headers=self.staff,
        )
        before = self.ledger.unknown["add_image"]
        data = self._settle("add_image", response)
        if self.ledger.unknown["add_image"] != before:
            self.ledger.image_attempts[place_id] += 1
        if data and data["addPlaceImage"]:
            self.ledger.images[data["addPlaceImage"]["id"]] = place_id
        return response

    async def register(self) -> httpx.Response:
        username = f"soak_{self.run}_{next(self.numbers)}"
        email = f"{username}@example.com"
        response = await self.client.post(
            "/auth/users/", json={"username": username, "email": email, "password": PASSWORD}
        )
        if response.status_code == 201:
            self.ledger.accounts[username] = email
        elif response.status_code >= 500:
            self.ledger.unknown["register"] += 1
        return response

    async def login(self) -> httpx.Response:
        return await self.client.post(
            "/auth/jwt/create/", json={"username": "soak", "password": PASSWORD}
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_clients(workload: Workload, clients: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(workload.run_client(deadline, random.Random(number)) for number in range(clients))
    )
