"""State-changing admin requests from another origin are refused, even with a valid session."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from citygraph.admin.middleware import REFUSED
from citygraph.models import District, User
from citygraph.services import Services
from tests.admin.conftest import BASE, Admin, make_user

EVIL = "https://evil.example"


async def district_count(services: Services) -> int:
    async with services.sessions() as session:
        return (await session.exec(select(func.count()).select_from(District))).one()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": f"{EVIL}/forms/attack.html"},
        {"Sec-Fetch-Site": "cross-site", "Origin": BASE},
        {"Sec-Fetch-Site": "same-site", "Origin": BASE},
        {},
    ],
    ids=["origin", "null-origin", "referer", "fetch-cross-site", "fetch-same-site", "no-headers"],
)
async def test_cross_origin_form_post_is_refused(
    staff: Admin, services: Services, headers: dict[str, str]
) -> None:
    response = await staff.client.post(
        "/admin/district/create",
        data={"title": "Подложный округ", "abbreviation": "ПО", "save": "Save"},
        headers=headers,
    )
    assert response.status_code == 403
    assert response.text == REFUSED
    assert await district_count(services) == 0


async def test_same_origin_post_passes(staff: Admin, services: Services) -> None:
    for headers in (
        {"Origin": BASE},
        {"Referer": f"{BASE}/admin/district/create"},
        {"Sec-Fetch-Site": "same-origin"},
    ):
        response = await staff.client.post(
            "/admin/district/create",
            data={"title": "Округ", "abbreviation": "", "save": "Save"},
            headers=headers,
        )
        assert response.status_code == 302, response.text
    assert await district_count(services) == 3


async def test_cross_origin_delete_is_refused(staff: Admin, services: Services) -> None:
    await staff.post("/admin/district/create", {"title": "Остаётся", "save": "Save"})
    async with services.sessions() as session:
        district = (await session.exec(select(District))).one()
    response = await staff.client.delete(
        f"/admin/district/delete?pks={district.id}", headers={"Origin": EVIL}
    )
    assert response.status_code == 403
    assert await district_count(services) == 1


async def test_cross_site_action_link_is_refused(staff: Admin, services: Services) -> None:
    """sqladmin's actions are GET links; a foreign page linking to one changes nothing."""
    victim = await make_user(services, "victim", active=False)
    response = await staff.client.get(
        f"/admin/user/action/activate?pks={victim.id}",
        headers={"Referer": f"{EVIL}/page", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    async with services.sessions() as session:
        user = await session.get(User, victim.id)
        assert user is not None
        assert not user.is_active


async def test_cross_origin_login_is_refused(services: Services, staff: Admin) -> None:
    client = staff.client
    client.cookies.clear()
    response = await client.post(
        "/admin/login",
        data={"username": "operator", "password": "irrelevant"},
        headers={"Origin": EVIL},
    )
    assert response.status_code == 403


async def test_safe_requests_need_no_origin(staff: Admin) -> None:
    response = await staff.client.get("/admin/district/list", headers={"Origin": EVIL})
    assert response.status_code == 200
