"""The HTML pages (start page, GraphiQL, API docs) over HTTP: their security headers, no inline
code, and every file they link served from this server with its media type and ``nosniff``."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.graphql.graphiql import MISSING_ASSETS_MESSAGE, find_assets_dir
from citygraph.services import Services
from compat import apidocs
from tests.support.browser import assert_security_headers

PAGES = [
    ("/", {}),
    ("/graphql", {"Accept": "text/html"}),
    ("/api/docs", {}),
    ("/activate/MQ/token-1", {}),
    ("/password/reset/confirm/MQ/token-1", {}),
    ("/username/reset/confirm/MQ/token-1", {}),
]
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
REPO = Path(__file__).resolve().parents[2]


def linked_files(html: str) -> list[str]:
    """What the page loads: scripts, stylesheets and icons (not links to other pages)."""
    scripts = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', html)
    links = re.findall(r'<link\b[^>]*\bhref="([^"]+)"', html)
    return scripts + links


@pytest.mark.parametrize(("path", "headers"), PAGES)
async def test_page_is_strict_and_serves_what_it_links(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    if path != "/":
        assert find_assets_dir() is not None, "run `make assets`"
    page = await client.get(path, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert_security_headers(dict(page.headers))
    html = page.text
    # Nothing the policy would refuse: no inline script, event handler, style element or attribute.
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html)
    assert "//" not in "".join(linked_files(html)), "every file comes from this server"

    files = linked_files(html)
    assert len(files) >= 2
    for link in files:
        url = urljoin(f"http://testserver{path}", link)
        answer = await client.get(url)
        assert answer.status_code == 200, url
        suffix = Path(url.split("?")[0]).suffix
        assert answer.headers["content-type"] == MEDIA_TYPES[suffix], url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in answer.headers["cache-control"]


async def test_account_pages_carry_the_link_as_inert_data(client: httpx.AsyncClient) -> None:
    """The uid and token reach the page only as escaped attribute values, never as markup."""
    page = await client.get("/activate/%3Cscript%3E/a%22%20onclick%3D%22x")
    assert page.status_code == 200
    assert 'data-uid="&lt;script&gt;"' in page.text
    assert 'data-token="a&#34; onclick=&#34;x"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert (await client.post("/activate/MQ/t")).status_code == 405


async def test_favicons(client: httpx.AsyncClient) -> None:
    ico = await client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.headers["content-type"] == "image/vnd.microsoft.icon"
    assert ico.content.startswith(b"\x00\x00\x01\x00")
    svg = await client.get("/favicon.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")


@pytest.mark.parametrize(
    "url",
    [
        "/graphql/static/index.html",
        "/graphql/static/..%2F..%2Fpyproject.toml",
        "/api/docs/static/index.html",
        "/api/docs/static/swagger-ui-bundle.js.map",
        "/static/graphiql.min.js",
        "/static/nope.css",
    ],
)
async def test_only_listed_files_are_served(client: httpx.AsyncClient, url: str) -> None:
    assert (await client.get(url)).status_code == 404


async def test_graphiql_assets_folder_can_be_chosen(
    settings: Settings, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CITYGRAPH_GRAPHIQL_ASSETS`` is the only place looked at: the folder holding
    ``node_modules`` works; an empty one gives the page that says how to install them."""
    for folder, installed in ((REPO / "assets", True), (tmp_path, False)):
        monkeypatch.setenv("CITYGRAPH_GRAPHIQL_ASSETS", str(folder))
        app = create_app(settings, services=services)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 200
            assert_security_headers(dict(page.headers))
            assert ("graphiql.min.js" in page.text) is installed
            missing = f'class="citygraph-graphiql-missing">{MISSING_ASSETS_MESSAGE}</div>'
            assert (missing in page.text) is not installed
            script = await client.get("/graphql/static/graphiql.min.js")
            assert script.status_code == (200 if installed else 404)
            assert (await client.get("/graphql/static/citygraph-graphiql.css")).status_code == 200


def test_docs_page_without_assets_says_how_to_install() -> None:
    html = apidocs.render_docs_html(None)
    assert apidocs.MISSING_ASSETS_MESSAGE in html
    assert "<script" not in html
    assert 'href="/api/openapi.json"' in html
