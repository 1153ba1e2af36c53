"""Every admin page in a real Chromium at 1280 and 768 px, offline, on SQLite and PostgreSQL.

With the demo data loaded, a staff member opens the start page and every list, form and detail
page. Each page:

- works offline: a request to any host but the server under test is aborted and recorded, and
  none may be made; no request fails, nothing is logged as an error;
- fits: the page never scrolls sideways, and at 1280 px a list's table fits its container
  (``scrollWidth <= clientWidth`` of ``.table-responsive``), so District, Latitude and
  Longitude of the places and "Joined" of the users are on screen; at 768 px too;
- is saved as a full-page screenshot in ``var/screenshots/admin-<page>-<width>.png``.

Then, at 1280 px, the start page's "Activate" activates a waiting account, and a place's edit
form deletes one of its images inline.

Needs Debian's ``/usr/bin/chromium``: without it the test skips locally and fails in CI.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect
from sqlmodel import col, select

from citygraph.config import Settings
from citygraph.domain import districts
from citygraph.domain.parsers import parse_id
from citygraph.domain.unit import unit_of_work
from citygraph.models import District, Place, PlaceImage, User
from citygraph.services import Services
from tests.admin.conftest import PASSWORD, make_user
from tests.support.browser import PageWatch
from tests.support.server import live_server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1280, 768)
WAITING = "awaiting_activation"

TABLE_FIT = """() => [...document.querySelectorAll('.table-responsive')].map(
    box => [box.scrollWidth, box.clientWidth])"""
PAGE_FIT = "() => [document.documentElement.scrollWidth, window.innerWidth]"
HEADERS_VISIBLE = """() => {
    const box = document.querySelector('.table-responsive');
    if (!box) { return []; }
    const right = box.getBoundingClientRect().right;
    return [...box.querySelectorAll('thead th')]
        .filter(th => th.getBoundingClientRect().right > right + 1)
        .map(th => th.textContent.trim());
}"""


async def pages_to_visit(services: Services) -> list[tuple[str, str]]:
    """(name, path) of the start page and of every list, form and details page."""
    async with services.sessions() as session:
        place = (await session.exec(select(Place).order_by(col(Place.id)))).first()
        image = (await session.exec(select(PlaceImage).order_by(col(PlaceImage.id)))).first()
        user = (await session.exec(select(User).where(User.username == WAITING))).one()
    assert place is not None and image is not None
    return [
        ("start", "/admin/"),
        ("district-list", "/admin/district/list"),
        ("district-create", "/admin/district/create"),
        ("district-edit", f"/admin/district/edit/{place.district_id}"),
        ("district-details", f"/admin/district/details/{place.district_id}"),
        ("place-list", "/admin/place/list"),
        ("place-create", "/admin/place/create"),
        ("place-edit", f"/admin/place/edit/{place.id}"),
        ("place-details", f"/admin/place/details/{place.id}"),
        ("place-image-list", "/admin/place-image/list"),
        ("place-image-create", "/admin/place-image/create"),
        ("place-image-details", f"/admin/place-image/details/{image.id}"),
        ("user-list", "/admin/user/list"),
        ("user-create", "/admin/user/create"),
        ("user-edit", f"/admin/user/edit/{user.id}"),
        ("user-details", f"/admin/user/details/{user.id}"),
        ("change-log-list", "/admin/change-log/list"),
    ]


async def staff_account(services: Services) -> User:
    async with services.sessions() as session:
        return (await session.exec(select(User).where(User.username == "operator"))).one()


async def offline_context(browser: Browser, base: str, width: int) -> BrowserContext:
    """A context that can reach the server under test and nothing else."""
    context = await browser.new_context(viewport={"width": width, "height": 900})
    server = urlsplit(base).netloc

    async def only_the_server(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != server:
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await context.route("**/*", only_the_server)
    return context


async def log_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/admin/login", wait_until="networkidle")
    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{base}/admin/")
    await page.wait_for_load_state("networkidle")  # leaving sooner aborts its assets


async def test_every_admin_page_fits_and_works_offline(
    browser: Browser, demo: Services, settings: Settings
) -> None:
    await make_user(demo, "operator", staff=True, superuser=True)
    await make_user(demo, WAITING, active=False)
    visits = await pages_to_visit(demo)
    # Something in the change log: a staff change through the domain.
    async with unit_of_work(demo, actor=await staff_account(demo)) as uow:
        first = (await uow.session.exec(select(District).order_by(col(District.id)))).first()
        assert first is not None
        form = districts.DistrictForm.parse(partial=True, abbreviation="ЦАО-1")
        await districts.update_district(uow, parse_id(first.id), form)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with live_server(settings) as base:
        for width in WIDTHS:
            context = await offline_context(browser, base, width)
            page = await context.new_page()
            watch = await PageWatch.attach(page, base)
            await log_in(page, base)
            for name, path in visits:
                response = await page.goto(f"{base}{path}", wait_until="networkidle")
                assert response is not None and response.status == 200, (name, response)
                await expect(page.locator(".page-wrapper")).to_be_visible()
                page_width, viewport = await page.evaluate(PAGE_FIT)
                assert page_width <= viewport, f"{name} at {width}px scrolls sideways"
                for scroll, client in await page.evaluate(TABLE_FIT):
                    assert scroll <= client, f"{name} at {width}px: table {scroll} > {client}"
                assert await page.evaluate(HEADERS_VISIBLE) == [], f"{name} at {width}px"
                await page.screenshot(
                    path=str(SCREENSHOTS / f"admin-{name}-{width}.png"), full_page=True
                )
            await watch.assert_clean(page)
            await context.close()


async def test_start_page_and_inline_images_in_use(
    browser: Browser, demo: Services, settings: Settings
) -> None:
    await make_user(demo, "operator", staff=True, superuser=True)
    waiting = await make_user(demo, WAITING, active=False)
    async with demo.sessions() as session:
        place = (await session.exec(select(Place).order_by(col(Place.id)))).first()
        assert place is not None
        (image,) = (
            await session.exec(select(PlaceImage).where(PlaceImage.place_id == place.id))
        ).all()

    with live_server(settings) as base:
        context = await offline_context(browser, base, 1280)
        page = await context.new_page()
        watch = await PageWatch.attach(page, base)
        await log_in(page, base)

        # Counts, and the waiting account with its action.
        await expect(page.locator('[data-count="district"] .cg-count')).to_have_text("12")
        row = page.locator(f'tr[data-user="{WAITING}"]')
        await row.get_by_role("link", name="Activate").click()
        await expect(page).to_have_url(f"{base}/admin/")
        await page.wait_for_load_state("networkidle")
        await expect(page.locator(".toast-body")).to_contain_text("1 account activated.")
        await expect(page.locator(f'tr[data-user="{WAITING}"]')).to_have_count(0)

        # The place's edit form: its image inline, a select drawn as a select, delete it.
        await page.goto(f"{base}/admin/place/edit/{place.id}", wait_until="networkidle")
        select_arrow = await page.evaluate(
            "getComputedStyle(document.querySelector('select[name=type]')).backgroundImage"
        )
        assert select_arrow.startswith("url(")
        thumb = page.locator(f'[data-image-id="{image.id}"] img')
        await expect(thumb).to_be_visible()
        assert await thumb.evaluate("img => img.complete && img.naturalWidth > 0")
        await page.check(f'input[name=delete_images][value="{image.id}"]')
        await page.click("input[type=submit][value=Save]")
        await expect(page).to_have_url(f"{base}/admin/place/list")
        await page.wait_for_load_state("networkidle")

        # Both changes are on the start page's recent changes, newest first.
        await page.goto(f"{base}/admin/", wait_until="networkidle")
        changes = page.locator("#recent-changes tbody tr")
        await expect(changes).to_have_count(2)
        await expect(changes.nth(0)).to_contain_text("deleted place image")
        await expect(changes.nth(1)).to_contain_text(f"changed user {WAITING}")
        await page.screenshot(path=str(SCREENSHOTS / "admin-start-after-changes-1280.png"))
        await watch.assert_clean(page)
        await context.close()

    async with demo.sessions() as session:
        user = await session.get(User, waiting.id)
        gone = await session.get(PlaceImage, image.id)
    assert user is not None and user.is_active
    assert gone is None
    assert not (settings.media_root / image.image).exists()
