"""The admin's start page and the change log behind it, over HTTP on both databases.

The page counts districts, places, images and users, lists the accounts waiting for activation
with an action that activates them, and lists what staff changed last. The change log is written
by the domain for every staff change on any face (here: the admin and GraphQL), in the same
transaction as the change: a refused save leaves no entry.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from citygraph.domain.changelog import ADDED, CHANGED, DELETED
from citygraph.models import ChangeLog, User
from citygraph.services import Services
from tests.admin.conftest import BASE, Admin, make_user, png
from tests.admin.test_places import make_district, place_form


async def log_rows(services: Services) -> list[ChangeLog]:
    async with services.sessions() as session:
        return list((await session.exec(select(ChangeLog).order_by(col(ChangeLog.id)))).all())


def count_on_page(html: str, identity: str) -> int:
    match = re.search(
        rf'data-count="{identity}">.*?class="cg-count">([^<]*)<', html, flags=re.DOTALL
    )
    assert match, f"no count for {identity}"
    return int(match.group(1).replace("\u202f", ""))


async def test_counts_waiting_accounts_and_activation(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    response = await staff.client.post(
        "/admin/place/create",
        data=place_form(district),
        files=[("new_images", ("a.png", png("red"), "image/png"))],
        headers={"Origin": BASE},
    )
    assert response.status_code == 302, response.text
    waiting = await make_user(services, "waiting_one", active=False)
    await make_user(services, "already_active")

    page = await staff.client.get("/admin/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert count_on_page(html, "district") == 1
    assert count_on_page(html, "place") == 1
    assert count_on_page(html, "place-image") == 1
    assert count_on_page(html, "user") == 3
    assert 'data-user="waiting_one"' in html
    assert 'data-user="already_active"' not in html
    assert 'data-user="operator"' not in html

    # The row's action activates the account and comes back to the start page.
    link = re.search(r'href="([^"]*/admin/user/action/activate\?pks=\d+)"', html)
    assert link, html
    assert link.group(1).endswith(f"pks={waiting.id}")
    done = await staff.client.get(link.group(1), headers={"Referer": f"{BASE}/admin/"})
    assert done.status_code == 302
    assert done.headers["location"] == f"{BASE}/admin/"
    async with services.sessions() as session:
        user = await session.get(User, waiting.id)
    assert user is not None and user.is_active
    after = (await staff.client.get("/admin/")).text
    assert 'data-user="waiting_one"' not in after
    assert "Nobody is waiting" in after


async def test_recent_changes_record_staff_changes(staff: Admin, services: Services) -> None:
    assert await log_rows(services) == []
    created = await staff.post(
        "/admin/district/create", {"title": "Тверской", "abbreviation": "ТВР", "save": "Save"}
    )
    assert created.status_code == 302, created.text
    async with services.sessions() as session:
        district_id = (await session.exec(select(ChangeLog.object_id))).one()
    edited = await staff.post(
        f"/admin/district/edit/{district_id}",
        {"title": "Тверской район", "abbreviation": "ТВР", "save": "Save"},
    )
    assert edited.status_code == 302, edited.text
    refused = await staff.post(
        f"/admin/district/edit/{district_id}", {"title": "", "abbreviation": "", "save": "Save"}
    )
    assert refused.status_code == 400
    newcomer = await make_user(services, "newcomer", active=False)
    assert (await staff.action("user", "activate", newcomer.id)).status_code == 302
    deleted = await staff.delete("district", district_id)
    assert deleted.status_code == 200, deleted.text

    rows = await log_rows(services)
    assert [(row.action, row.kind, row.object_repr) for row in rows] == [
        (ADDED, "district", "Тверской"),
        (CHANGED, "district", "Тверской район"),
        (CHANGED, "user", "newcomer"),
        (DELETED, "district", "Тверской район"),
    ]
    assert rows[1].fields == "title"
    assert rows[2].fields == "is_active"
    assert {row.actor for row in rows} == {"operator"}
    assert {row.actor_id for row in rows} == {staff.user.id}
    assert [row.id for row in rows] == sorted(row.id for row in rows)

    html = (await staff.client.get("/admin/")).text
    section = html[html.index('id="recent-changes"') :]
    # Newest first; the deleted district is named but not linked.
    assert section.index('data-change="deleted"') < section.index('data-change="added"')
    assert f'/admin/user/details/{newcomer.id}">newcomer</a>' in section
    deleted_row = section[section.index('data-change="deleted"') :].split("</tr>")[0]
    assert "Тверской район" in deleted_row
    assert "<a " not in deleted_row


async def test_staff_changes_through_graphql_are_logged_too(
    staff: Admin, services: Services
) -> None:
    token = await staff.client.post(
        "/auth/jwt/create/", json={"username": "operator", "password": "Correct-Horse-9"}
    )
    access = token.json()["access"]
    answer = await staff.client.post(
        "/graphql",
        json={"query": 'mutation { createDistrict(input: {title: "Арбат"}) { id } }'},
        headers={"Authorization": f"JWT {access}"},
    )
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json(), answer.text
    (row,) = await log_rows(services)
    assert (row.action, row.kind, row.object_repr, row.actor) == (
        ADDED,
        "district",
        "Арбат",
        "operator",
    )


async def test_logins_and_registrations_are_not_staff_changes(
    staff: Admin, services: Services
) -> None:
    registered = await staff.client.post(
        "/auth/users/",
        json={"username": "visitor", "email": "v@example.com", "password": "Lantern-Ocean-73"},
    )
    assert registered.status_code == 201, registered.text
    login = await staff.client.post(
        "/auth/jwt/create/", json={"username": "operator", "password": "Correct-Horse-9"}
    )
    assert login.status_code == 200
    assert await log_rows(services) == []


async def test_the_whole_change_log_is_read_only(staff: Admin, services: Services) -> None:
    created = await staff.post(
        "/admin/district/create", {"title": "Тверской", "abbreviation": "ТВР", "save": "Save"}
    )
    assert created.status_code == 302, created.text
    (entry,) = await log_rows(services)
    listing = await staff.client.get("/admin/change-log/list")
    assert listing.status_code == 200
    assert f'/admin/district/details/{entry.object_id}">Тверской</a>' in listing.text
    assert "/admin/change-log/list" in (await staff.client.get("/admin/")).text
    details = await staff.client.get(f"/admin/change-log/details/{entry.id}")
    assert details.status_code == 200
    assert "operator" in details.text
    # Written by the domain only: no form, no deletion.
    assert (await staff.client.get("/admin/change-log/create")).status_code == 403
    assert (await staff.client.get(f"/admin/change-log/edit/{entry.id}")).status_code == 403
    assert (await staff.delete("change-log", entry.id)).status_code == 403
    assert [row.id for row in await log_rows(services)] == [entry.id]
