"""``citygraph import-django`` from a database the original stack built, on both databases.

The original's accounts log in with their old passwords on every face and are upgraded to
bcrypt; its simplejwt token is accepted; its photos are served with the same bytes; a second
run changes nothing; a grown source adds only its new rows; a failed run leaves nothing.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt
import httpx
import pytest
from sqlmodel import select

from citygraph.config import Settings
from citygraph.domain import places
from citygraph.domain.unit import UnitOfWork
from citygraph.models import District, Place, User
from citygraph.services import Services
from citygraph.textfold import fold
from tests.importer.conftest import Original, build_original, files, run_import, snapshot
from tests.support.users import create_account

SAME_ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    from tests.conftest import make_settings

    return make_settings(database_url, tmp_path / "media", CITYGRAPH_RATE_LIMIT_LOGIN="100/minute")


async def _hash(services: Services, username: str) -> str:
    async with services.sessions() as session:
        user = (await session.exec(select(User).where(User.username == username))).one()
        return user.password


async def _imported(original: Original, settings: Settings, database_url: str) -> str:
    run = await run_import(
        database_url, settings.media_root, original.database, "--media-root", str(original.media)
    )
    assert run.code == 0, run.err
    return run.out


async def test_accounts_keep_ids_fields_and_old_passwords(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
) -> None:
    out = await _imported(original, settings, database_url)
    assert "users (from auth_user): 7 read, imported 7, 0 already present, 0 skipped" in out

    for account in original.manifest["users"]:
        async with services.sessions() as session:
            user = await session.get(User, account["id"])
        assert user is not None and user.username == account["username"]
        assert user.password == account["hash"]  # untouched until the first login
        assert (user.is_active, user.is_staff) == (account["active"], account["staff"])

    for account in original.manifest["users"]:
        name, password = account["username"], account["password"]
        wrong = await client.post(
            "/auth/jwt/create/", json={"username": name, "password": password + "x"}
        )
        assert wrong.status_code == 401
        assert await _hash(services, name) == account["hash"]
        right = await client.post(
            "/auth/jwt/create/", json={"username": name, "password": password}
        )
        if not account["active"] or name == "zhanna":  # inactive; unusable password
            assert right.status_code == 401
            assert await _hash(services, name) == account["hash"]
            continue
        assert right.status_code == 200, (name, right.text)
        upgraded = await _hash(services, name)
        assert upgraded.startswith("$2b$"), (name, upgraded)
        again = await client.post(
            "/auth/jwt/create/", json={"username": name, "password": password}
        )
        assert again.status_code == 200
        assert await _hash(services, name) == upgraded


async def test_hash_formats_are_the_originals(original: Original) -> None:
    formats = {u["username"]: u["hash"].split("$", 1)[0] for u in original.manifest["users"]}
    assert formats["alice"] == "pbkdf2_sha256"
    assert formats["vera"] == "argon2"
    assert formats["gleb"] == "bcrypt_sha256"
    assert formats["даша"] == "pbkdf2_sha1"
    assert original.user("zhanna")["hash"].startswith("!")


async def test_graphql_and_admin_logins_upgrade_django_hashes(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
) -> None:
    await _imported(original, settings, database_url)
    vera = original.user("vera")
    query = (
        "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }"
    )
    answer = await client.post(
        "/graphql", json={"query": query, "variables": {"u": "vera", "p": vera["password"]}}
    )
    assert answer.json()["data"]["createToken"]["access"], answer.text
    assert (await _hash(services, "vera")).startswith("$2b$")

    alice = original.user("alice")
    refused = await client.post(
        "/admin/login", data={"username": "alice", "password": "nope-nope"}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 400
    login = await client.post(
        "/admin/login",
        data={"username": "alice", "password": alice["password"]},
        headers=SAME_ORIGIN,
    )
    assert login.status_code == 302, login.text
    assert (await _hash(services, "alice")).startswith("$2b$")
    assert (await client.get("/admin/")).status_code == 200


async def test_old_token_and_photos_keep_working(
    client: httpx.AsyncClient, settings: Settings, database_url: str, original: Original
) -> None:
    await _imported(original, settings, database_url)
    me = await client.get(
        "/auth/users/me/", headers={"Authorization": f"JWT {original.manifest['access']}"}
    )
    assert me.status_code == 200 and me.json()["username"] == "alice"

    districts = (await client.get("/api/v1/disticts/")).json()
    urls = [d["image"] for d in districts if d["image"]]
    for district in districts:
        places = (await client.get(f"/api/v1/places/?district_id={district['id']}")).json()
        urls += [image["image"] for place in places for image in place["images"]]
    original_files = files(original.media)
    missing = set(original.manifest["missing"])
    served = 0
    for url in urls:
        path = urlsplit(url).path
        key = httpx.URL(url).path.removeprefix("/media/")
        answer = await client.get(path)
        if key in missing:
            assert answer.status_code == 404
            continue
        assert answer.status_code == 200, url
        assert answer.content == original_files[key]
        served += 1
    assert served == len(original_files) == 4


async def test_second_run_changes_nothing_and_a_grown_source_adds_only_new_rows(
    services: Services, settings: Settings, database_url: str, original: Original, tmp_path: Path
) -> None:
    source = original.copy(tmp_path / "source")
    first = await run_import(
        database_url, settings.media_root, source.database, "--media-root", str(source.media)
    )
    assert first.code == 0, first.err
    rows, media = await snapshot(services), files(settings.media_root)

    second = await run_import(
        database_url, settings.media_root, source.database, "--media-root", str(source.media)
    )
    assert second.code == 0, second.err
    assert "imported 0, 7 already present" in second.out
    assert "copied 0, 4 already present, 1 missing" in second.out
    assert await snapshot(services) == rows
    assert files(settings.media_root) == media

    grown = build_original("grow", source.database, source.media)
    third = await run_import(
        database_url, settings.media_root, source.database, "--media-root", str(source.media)
    )
    assert third.code == 0, third.err
    assert "users (from auth_user): 8 read, imported 1, 7 already present" in third.out
    assert "places (from guide_place): 4 read, imported 1, 3 already present" in third.out
    after = await snapshot(services)
    assert next(r for r in after["users"] if r not in rows["users"])[0] == grown["users"][0]["id"]
    assert len(after["places"]) == len(rows["places"]) + 1
    assert len(files(settings.media_root)) == len(media) + 1


async def test_ids_continue_after_the_imported_ones(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
) -> None:
    await _imported(original, settings, database_url)
    top = max(u["id"] for u in original.manifest["users"])
    created = await client.post(
        "/auth/users/",
        json={"username": "newcomer", "password": "Fresh-Start-2027", "email": "n@example.com"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == top + 1


async def test_dry_run_writes_nothing(
    services: Services, settings: Settings, database_url: str, original: Original
) -> None:
    run = await run_import(
        database_url,
        settings.media_root,
        original.database,
        "--media-root",
        str(original.media),
        "--dry-run",
        "--report",
        str(settings.media_root.parent / "report.json"),
    )
    assert run.code == 0, run.err
    report = json.loads((settings.media_root.parent / "report.json").read_text())
    assert report["dry_run"] is True and report["missing_files"] == original.manifest["missing"]
    assert report["tables"]["places"]["imported"] == 3
    assert "dry run, nothing written" in run.out
    assert "would import 7" in run.out and "would copy 4" in run.out
    assert "guide/" not in run.out
    assert all(not rows for rows in (await snapshot(services)).values())
    assert files(settings.media_root) == {}


async def test_a_failed_import_leaves_the_target_unchanged_and_no_files(
    services: Services, settings: Settings, database_url: str, original: Original
) -> None:
    # A file where the store needs the folder ``places/``: copying the first place photo fails
    # after the accounts and districts were written and a district photo was copied.
    settings.media_root.mkdir(parents=True, exist_ok=True)
    (settings.media_root / "places").write_bytes(b"in the way")
    run = await run_import(
        database_url, settings.media_root, original.database, "--media-root", str(original.media)
    )
    assert run.code == 1
    assert run.err.splitlines()[-1].startswith("citygraph: ") and "Traceback" not in run.err
    assert all(not rows for rows in (await snapshot(services)).values())
    assert files(settings.media_root) == {"places": b"in the way"}


async def test_source_problems_are_one_line(
    settings: Settings, database_url: str, original: Original, tmp_path: Path
) -> None:
    missing = await run_import(
        database_url, settings.media_root, tmp_path / "nope.sqlite3", "--media-root", str(tmp_path)
    )
    assert missing.code == 1 and "is not a file" in missing.err
    wrong_table = await run_import(
        database_url,
        settings.media_root,
        original.database,
        "--media-root",
        str(original.media),
        "--places-table",
        "guide_district",
    )
    assert wrong_table.code == 1
    assert "places table 'guide_district' lacks the columns" in wrong_table.err


@pytest.mark.postgres
async def test_an_original_on_postgresql(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original_on_postgres: Original,
) -> None:
    original = original_on_postgres
    out = await _imported(original, settings, database_url)
    assert "places (from guide_place): 3 read, imported 3" in out
    gleb = original.user("gleb")
    token = await client.post(
        "/auth/jwt/create/", json={"username": "gleb", "password": gleb["password"]}
    )
    assert token.status_code == 200
    assert (await _hash(services, "gleb")).startswith("$2b$")
    places = (await client.get("/api/v1/places/?district_id=1")).json()
    assert [p["latitude"] for p in places] == ["55.752023", "55.729792"]
    photo = places[0]["images"][0]["image"]
    served = await client.get(httpx.URL(photo).path)
    assert served.content == files(original.media)[httpx.URL(photo).path.removeprefix("/media/")]


async def test_rows_citygraph_already_holds_are_not_taken_over(
    services: Services, settings: Settings, database_url: str, original: Original
) -> None:
    boris = await create_account(
        services,
        "boris",
        email="b@example.com",
        password="Own-Password-77",
        active=True,
        staff=False,
    )
    async with services.sessions() as session:
        session.add(District(title="Свой округ", abbreviation="СО"))
        await session.commit()
    out = await _imported(original, settings, database_url)
    assert "users (from auth_user): 7 read, imported 5, 0 already present, 2 skipped" in out
    assert "id 1: id 1 holds another account in citygraph; left as it is" in out
    assert f"id 2: username 'boris' belongs to citygraph account {boris.id}" in out
    assert (
        "districts (from guide_district): 2 read, imported 1, 0 already present, 1 skipped" in out
    )
    assert "places (from guide_place): 3 read, imported 1, 0 already present, 2 skipped" in out
    assert "district 1 was not imported" in out
    async with services.sessions() as session:
        assert (await session.get(User, 1)).username == "boris"  # type: ignore[union-attr]
        assert (await session.get(District, 1)).title == "Свой округ"  # type: ignore[union-attr]


async def test_a_password_bcrypt_cannot_hold_keeps_its_django_hash(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
) -> None:
    await _imported(original, settings, database_url)
    long_password = "Очень-длинный-пароль-" * 4  # 152 bytes: Django allowed it, bcrypt cannot
    digest = binascii.hexlify(hashlib.sha256(long_password.encode()).digest())
    encoded = "bcrypt_sha256$" + bcrypt.hashpw(digest, bcrypt.gensalt(4)).decode()
    async with services.sessions() as session:
        user = (await session.exec(select(User).where(User.username == "boris"))).one()
        user.password = encoded
        session.add(user)
        await session.commit()
    for _ in range(2):
        answer = await client.post(
            "/auth/jwt/create/", json={"username": "boris", "password": long_password}
        )
        assert answer.status_code == 200, answer.text
        assert await _hash(services, "boris") == encoded


async def test_imported_places_are_found_by_title_search(
    services: Services, settings: Settings, database_url: str, original: Original
) -> None:
    """The importer's Core insert stores each place's folded title (the column default)."""
    await _imported(original, settings, database_url)
    async with services.sessions() as session:
        rows = (await session.exec(select(Place.title, Place.title_folded))).all()
    assert rows and all(folded == fold(title) for title, folded in rows)
    async with services.sessions() as session:
        uow = UnitOfWork(session, services, actor=None)
        for title, _folded in rows:
            query = places.PlaceQuery.parse(search=title.upper(), first=100)
            found = await places.search_places(uow, query)
            assert title in [place.title for place in found.items], title
