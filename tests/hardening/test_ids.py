"""Ids are never reused, on any table, on either database: a deleted account's tokens must not
act as the next account registered (the steps of the report, over REST with real mail)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, insert, select

from citygraph import migrate
from citygraph.models import District, Place, PlaceImage, User
from citygraph.services import Services
from tests.accounts.conftest import Outbox
from tests.support.mail import deliver_mail

PASSWORD = "Xy7!pQz9-long"


async def register_and_activate(
    client: httpx.AsyncClient, services: Services, outbox: Outbox, name: str
) -> None:
    """POST /auth/users/, then the activation link from the mail that really went out."""
    outbox.messages.clear()
    response = await client.post(
        "/auth/users/",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    await deliver_mail(services)
    [(uid, token)] = outbox.links("activate")
    response = await client.post("/auth/users/activation/", json={"uid": uid, "token": token})
    assert response.status_code == 204, response.text


async def test_deleted_accounts_tokens_do_not_act_as_the_next_account(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await register_and_activate(client, services, outbox, "alpha")
    tokens = (
        await client.post("/auth/jwt/create/", json={"username": "alpha", "password": PASSWORD})
    ).json()
    auth_a = {"Authorization": f"JWT {tokens['access']}"}
    me_a = (await client.get("/auth/users/me/", headers=auth_a)).json()
    response = await client.request(
        "DELETE", "/auth/users/me/", json={"current_password": PASSWORD}, headers=auth_a
    )
    assert response.status_code == 204, response.text

    await register_and_activate(client, services, outbox, "bravo")
    tokens_b = (
        await client.post("/auth/jwt/create/", json={"username": "bravo", "password": PASSWORD})
    ).json()
    me_b = (
        await client.get("/auth/users/me/", headers={"Authorization": f"JWT {tokens_b['access']}"})
    ).json()
    assert me_b["id"] != me_a["id"], "the deleted account's id was given to the next one"

    response = await client.get("/auth/users/me/", headers=auth_a)
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"
    response = await client.post("/auth/jwt/refresh/", json={"refresh": tokens["refresh"]})
    assert response.status_code == 401, response.text
    response = await client.post("/graphql", json={"query": "{ me { username } }"}, headers=auth_a)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _rows(district_id: int = 0, place_id: int = 0) -> dict[Any, dict[str, Any]]:
    return {
        User: {
            "username": "u",
            "email": "",
            "password": "x",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
            "date_joined": func.now(),
        },
        District: {"title": "d", "abbreviation": ""},
        Place: {
            "title": "p",
            "short_description": "",
            "full_description": "",
            "longitude": 37.6,
            "latitude": 55.7,
            "type": "park",
            "district_id": district_id,
        },
        PlaceImage: {"image": "i.png", "place_id": place_id},
    }


@pytest.mark.parametrize("model", [User, District, Place, PlaceImage], ids=lambda m: m.__name__)
async def test_no_table_reuses_the_last_id(services: Services, model: Any) -> None:
    async with services.engine.begin() as connection:
        district_id = (
            await connection.execute(insert(District).values(title="parent", abbreviation=""))
        ).inserted_primary_key[0]
        place_id = (
            await connection.execute(
                insert(Place).values(**{**_rows(district_id)[Place], "title": "parent"})
            )
        ).inserted_primary_key[0]
        values = _rows(district_id, place_id)[model]
        table = model.__table__
        first = (await connection.execute(insert(table).values(**values))).inserted_primary_key[0]
        await connection.execute(delete(table).where(table.c.id == first))
        second = (await connection.execute(insert(table).values(**values))).inserted_primary_key[0]
        assert second > first
        assert (await connection.execute(select(func.max(table.c.id)))).scalar() == second


def test_migration_rebuilds_an_existing_sqlite_database(tmp_path: Path) -> None:
    """A database made before 0006 keeps every row and reference, and stops reusing ids."""
    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url, "0005")
    db = sqlite3.connect(path)
    db.executescript(
        """
        INSERT INTO users (id, username, email, password, is_active, is_staff, is_superuser,
                           date_joined) VALUES
            (1, 'a', '', 'x', 1, 0, 0, '2024-01-01 00:00:00'),
            (2, 'b', '', 'x', 1, 0, 0, '2024-01-01 00:00:00');
        INSERT INTO districts (id, title, abbreviation) VALUES (1, 'Д', 'Д'), (2, 'Е', 'Е');
        INSERT INTO places (id, title, short_description, full_description, longitude, latitude,
                            type, district_id)
            VALUES (1, 'p1', '', '', 37.6, 55.7, 'park', 1),
                   (2, 'p2', '', '', 37.6, 55.7, 'park', 2);
        INSERT INTO place_images (id, image, place_id) VALUES (1, 'a.png', 1), (2, 'b.png', 1),
                                                              (3, 'c.png', 2);
        """
    )
    db.commit()
    db.close()

    migrate.upgrade(url)

    db = sqlite3.connect(path)
    try:
        for table in ("users", "districts", "places", "place_images"):
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            assert "AUTOINCREMENT" in sql[0], table
        assert db.execute("SELECT id, place_id FROM place_images ORDER BY id").fetchall() == [
            (1, 1),
            (2, 1),
            (3, 2),
        ]
        assert db.execute("SELECT id, district_id FROM places ORDER BY id").fetchall() == [
            (1, 1),
            (2, 2),
        ]
        assert db.execute("SELECT id, session_version FROM users").fetchall() == [(1, 0), (2, 0)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert {
            "ix_places_type_id",
            "ix_places_district_id_id",
            "ix_place_images_place_id",
        } <= indexes
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("DELETE FROM place_images WHERE id = 3")
        db.execute("INSERT INTO place_images (image, place_id) VALUES ('d.png', 2)")
        assert db.execute("SELECT max(id) FROM place_images").fetchone() == (4,)
        db.commit()
    finally:
        db.close()
