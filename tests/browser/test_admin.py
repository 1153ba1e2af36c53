"""The admin in a real Chromium against a real uvicorn, on SQLite and on PostgreSQL.

A staff member logs in, creates a district with an uploaded image, adds a place to it, and
activates an account that registered through the REST API; that account then gets a JWT from the
REST API. A non-staff account is turned away at the login. Every request the pages make must go
to the server under test (nothing from a CDN). Screenshots of the district and user lists go to
``test-artifacts/``.

Needs Debian's ``/usr/bin/chromium``: without it the test skips locally and fails in CI.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlmodel import col, select

from citygraph.admin.auth import NOT_STAFF
from citygraph.config import Settings
from citygraph.models import District, Place, PlaceImage, User
from citygraph.services import Services
from tests.admin.conftest import PASSWORD, make_user, png
from tests.support.browser import ARTIFACTS
from tests.support.server import live_server

pytestmark = pytest.mark.browser

DISTRICT = "Новомосковский административный округ"
PLACE = "Усадьба Остафьево"
NEWCOMER = "novichok"
NEWCOMER_PASSWORD = "Lantern-Ocean-73"


def watch_requests(page: Page, seen: list[str]) -> None:
    page.on("request", lambda request: seen.append(request.url))


async def log_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/admin/")
    await expect(page).to_have_url(f"{base}/admin/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")


async def test_staff_workflow_in_a_real_browser(
    browser: Browser, settings: Settings, services: Services, tmp_path: Path
) -> None:
    await make_user(services, "operator", staff=True, superuser=True)
    await make_user(services, "reader", staff=False)
    image_file = tmp_path / "nao.png"
    image_file.write_bytes(png("teal", (320, 200)))
    second_image = tmp_path / "ostafyevo.png"
    second_image.write_bytes(png("maroon", (200, 200)))
    ARTIFACTS.mkdir(exist_ok=True)

    with live_server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as api:
            # A visitor registers through the REST API; the account starts inactive.
            registered = await api.post(
                "/auth/users/",
                json={
                    "username": NEWCOMER,
                    "email": "novichok@example.com",
                    "password": NEWCOMER_PASSWORD,
                },
            )
            assert registered.status_code == 201, registered.text
            refused = await api.post(
                "/auth/jwt/create/", json={"username": NEWCOMER, "password": NEWCOMER_PASSWORD}
            )
            assert refused.status_code == 401, refused.text

            seen: list[str] = []
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            watch_requests(page, seen)

            await log_in(page, base, "operator", PASSWORD)
            await expect(page).to_have_url(f"{base}/admin/")

            # A district with an uploaded image, previewed before saving.
            await page.goto(f"{base}/admin/district/create")
            await page.fill("input[name=title]", DISTRICT)
            await page.fill("input[name=abbreviation]", "НАО")
            await page.set_input_files("input[name=image]", str(image_file))
            await expect(page.locator(".admin-preview img")).to_have_count(1)
            await page.click("input[type=submit][value=Save]")
            await expect(page).to_have_url(f"{base}/admin/district/list")
            row = page.locator("tr", has_text=DISTRICT)
            await expect(row).to_contain_text("НАО")
            thumbnail = row.locator("img.admin-thumb")
            await expect(thumbnail).to_be_visible()
            assert await thumbnail.evaluate("img => img.complete && img.naturalWidth") == 320

            # A place in that district, with coordinates and a Russian description.
            await page.goto(f"{base}/admin/place/create")
            await page.fill("input[name=title]", PLACE)
            await page.fill("textarea[name=short_description]", "Музей-усадьба «Остафьево»")
            await page.fill(
                "textarea[name=full_description]",
                "Усадьба князей Вяземских, «Русский Парнас», где бывал Пушкин.",
            )
            await page.fill("input[name=latitude]", "55.500633")
            await page.fill("input[name=longitude]", "37.508542")
            await page.select_option("select[name=type]", "museum")
            await page.select_option("select[name=district_id]", label=DISTRICT)
            await page.set_input_files(
                "input[name=new_images]", [str(image_file), str(second_image)]
            )
            await expect(page.locator(".admin-preview img")).to_have_count(2)
            await page.click("input[type=submit][value=Save]")
            await expect(page).to_have_url(f"{base}/admin/place/list")
            place_row = page.locator("tr", has_text=PLACE)
            await expect(place_row).to_contain_text(DISTRICT)
            await expect(place_row).to_contain_text("Museum")

            # The place's page shows its description and its image.
            await place_row.locator("a[href*='/admin/place/details/']").click()
            await expect(page.locator("body")).to_contain_text("«Русский Парнас»")
            await expect(page.locator("img.admin-thumb")).to_have_count(2)

            # Delete one image through sqladmin's confirmation dialog: row and file go.
            async with services.sessions() as session:
                doomed = (
                    await session.exec(select(PlaceImage).order_by(col(PlaceImage.id)))
                ).first()
            assert doomed is not None
            doomed_file = settings.media_root / doomed.image
            assert doomed_file.is_file()
            await page.goto(f"{base}/admin/place-image/details/{doomed.id}")
            await page.click(".card-footer a.btn-danger")
            # sqladmin sets the button's URL only once the dialog is shown: a click before
            # that would send DELETE to the details page itself.
            await expect(page.locator("#modal-delete-button")).to_have_attribute(
                "data-url", re.compile(rf"/admin/place-image/delete\?pks={doomed.id}$")
            )
            await page.click("#modal-delete-button")
            await expect(page).to_have_url(f"{base}/admin/place-image/list")
            await expect(page.locator("tbody tr")).to_have_count(1)
            assert not doomed_file.exists()

            # Back on the district list, the district counts its place.
            await page.goto(f"{base}/admin/district/list")
            places_cell = page.locator("tr", has_text=DISTRICT).locator("a[href*=district_id]")
            await expect(places_cell).to_have_text("1")
            await page.screenshot(path=str(ARTIFACTS / "admin-districts.png"), full_page=True)

            # Activate the newly registered account with the list action.
            await page.goto(f"{base}/admin/user/list")
            user_row = page.locator("tr", has_text=NEWCOMER)
            await user_row.locator("input.select-box").check()
            await page.click("#dropdownMenuButton")
            await page.click("#action-custom-activate")
            await expect(page).to_have_url(f"{base}/admin/user/list")
            await expect(page.locator(".toast-body")).to_contain_text("1 account activated.")
            await expect(page.locator("tr", has_text=NEWCOMER)).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "admin-users.png"), full_page=True)
            await context.close()

            # The activated account now logs in through the REST API.
            token = await api.post(
                "/auth/jwt/create/", json={"username": NEWCOMER, "password": NEWCOMER_PASSWORD}
            )
            assert token.status_code == 200, token.text
            assert set(token.json()) >= {"access", "refresh"}

            # A non-staff account cannot log in to the admin.
            outsider = await browser.new_context()
            page = await outsider.new_page()
            watch_requests(page, seen)
            await log_in(page, base, "reader", PASSWORD)
            await expect(page.locator(".invalid-feedback").first).to_have_text(NOT_STAFF)
            await page.goto(f"{base}/admin/district/list")
            await expect(page).to_have_url(f"{base}/admin/login")
            await outsider.close()

    # Nothing was fetched from anywhere but the server under test.
    server = urlsplit(base).netloc
    foreign = [url for url in seen if not url.startswith(("data:", "blob:"))]
    foreign = [url for url in foreign if urlsplit(url).netloc != server]
    assert seen
    assert foreign == []
    assert any("/admin/statics/" in url for url in seen)

    async with services.sessions() as session:
        district = (await session.exec(select(District))).one()
        place = (await session.exec(select(Place))).one()
        image = (await session.exec(select(PlaceImage))).one()
        newcomer = (await session.exec(select(User).where(User.username == NEWCOMER))).one()
    assert district.title == DISTRICT
    assert district.image is not None
    assert place.district_id == district.id
    assert image.place_id == place.id
    assert (settings.media_root / image.image).is_file()
    assert newcomer.is_active
