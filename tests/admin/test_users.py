"""Users in the admin: actions on many accounts, staff status, passwords; the hash stays hidden."""

from __future__ import annotations

from sqlmodel import select

from citygraph.domain.messages import render
from citygraph.models import User
from citygraph.security import passwords
from citygraph.services import Services
from tests.admin.conftest import Admin, field_errors, login, make_user

NOT_YOURSELF = render("cannot_deactivate_self")
PASSWORDS_DIFFER = render("password_mismatch")
PASSWORD_TOO_SHORT = render("password_too_short", {"min_length": 8})
PASSWORD_TOO_COMMON = render("password_too_common")


async def user_rows(services: Services) -> dict[str, User]:
    async with services.sessions() as session:
        return {u.username: u for u in (await session.exec(select(User))).all()}


async def test_activate_and_deactivate_many(staff: Admin, services: Services) -> None:
    new = [await make_user(services, f"new{n}", active=False) for n in range(3)]
    response = await staff.action("user", "activate", *(u.id for u in new[:2]))
    assert response.status_code == 302
    assert response.headers["location"] == "http://testserver/admin/user/list"
    rows = await user_rows(services)
    assert [rows[f"new{n}"].is_active for n in range(3)] == [True, True, False]

    page = await staff.client.get(response.headers["location"])
    assert "2 accounts activated." in page.text

    response = await staff.action("user", "deactivate", *(u.id for u in new))
    assert response.status_code == 302
    rows = await user_rows(services)
    assert not any(rows[f"new{n}"].is_active for n in range(3))


async def test_cannot_deactivate_yourself(staff: Admin, services: Services) -> None:
    other = await make_user(services, "other")
    response = await staff.action("user", "deactivate", other.id, staff.user.id)
    assert response.status_code == 302
    rows = await user_rows(services)
    assert rows["operator"].is_active
    assert rows["other"].is_active  # all or nothing
    page = await staff.client.get("/admin/user/list")
    assert NOT_YOURSELF in page.text


async def test_staff_actions(staff: Admin, services: Services) -> None:
    helper = await make_user(services, "helper")
    await staff.action("user", "grant-staff", helper.id)
    assert (await user_rows(services))["helper"].is_staff
    await staff.action("user", "revoke-staff", helper.id)
    assert not (await user_rows(services))["helper"].is_staff
    await staff.action("user", "revoke-staff", staff.user.id)
    assert (await user_rows(services))["operator"].is_staff


async def test_list_search_and_filters(staff: Admin, services: Services) -> None:
    await make_user(services, "ivan", email="ivan@mail.example")
    await make_user(services, "maria", email="m.petrova@example.org", active=False)
    page = await staff.client.get("/admin/user/list", params={"search": "petrova"})
    assert "maria" in page.text
    assert "ivan@mail.example" not in page.text
    page = await staff.client.get("/admin/user/list", params={"is_active": "false"})
    assert "maria" in page.text
    assert "ivan@mail.example" not in page.text
    page = await staff.client.get("/admin/user/list", params={"is_staff": "true"})
    assert "operator" in page.text
    assert "ivan@mail.example" not in page.text


async def test_password_hash_is_never_shown(staff: Admin, services: Services) -> None:
    user = await make_user(services, "secretive")
    for path in (
        "/admin/user/list",
        f"/admin/user/details/{user.id}",
        f"/admin/user/edit/{user.id}",
    ):
        page = await staff.client.get(path)
        assert page.status_code == 200
        assert user.password not in page.text
        assert "$2b$" not in page.text
        assert 'name="password"' not in page.text
    assert (await staff.client.get("/admin/user/export/csv")).status_code == 403
    # Staff create accounts (below); the create form holds no existing hash either.
    create = await staff.client.get("/admin/user/create")
    assert create.status_code == 200
    assert "$2b$" not in create.text


def user_form(**overrides: str) -> dict[str, str]:
    return {"is_active": "y", "new_password": "", "new_password_again": "", "save": "Save"} | (
        overrides
    )


async def test_set_password_through_the_validators(staff: Admin, services: Services) -> None:
    user = await make_user(services, "forgetful")
    response = await staff.post(
        f"/admin/user/edit/{user.id}", user_form(new_password="123", new_password_again="123")
    )
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert PASSWORD_TOO_SHORT in errors
    assert PASSWORD_TOO_COMMON in errors

    response = await staff.post(
        f"/admin/user/edit/{user.id}",
        user_form(new_password="Ocean-Lantern-51", new_password_again="Ocean-Lantern-52"),
    )
    assert response.status_code == 400
    assert PASSWORDS_DIFFER in field_errors(response.text)
    assert (await user_rows(services))["forgetful"].password == user.password

    response = await staff.post(
        f"/admin/user/edit/{user.id}",
        user_form(new_password="Ocean-Lantern-51", new_password_again="Ocean-Lantern-51"),
    )
    assert response.status_code == 302, response.text
    stored = (await user_rows(services))["forgetful"].password
    assert await passwords.check_password("Ocean-Lantern-51", stored)


async def test_edit_toggles_active_and_staff(staff: Admin, services: Services) -> None:
    user = await make_user(services, "toggled", active=False)
    response = await staff.post(f"/admin/user/edit/{user.id}", user_form(is_staff="y"))
    assert response.status_code == 302, response.text
    row = (await user_rows(services))["toggled"]
    assert (row.is_active, row.is_staff) == (True, True)
    response = await staff.post(f"/admin/user/edit/{user.id}", user_form(is_active=""))
    row = (await user_rows(services))["toggled"]
    assert (row.is_active, row.is_staff) == (False, False)


async def test_plain_staff_cannot_take_over_a_superuser(services: Services, staff: Admin) -> None:
    await make_user(services, "plain", staff=True)
    client = staff.client
    client.cookies.clear()
    assert (await login(client, "plain")).status_code == 302
    response = await client.post(
        f"/admin/user/edit/{staff.user.id}",
        data=user_form(new_password="Ocean-Lantern-51", new_password_again="Ocean-Lantern-51"),
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 400
    assert render("superuser_only") in response.text
    assert (await user_rows(services))["operator"].password == staff.user.password
