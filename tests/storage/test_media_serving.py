"""``/media/<key>`` over HTTP, from the local folder and from S3: validators, caching, ranges,
conditional requests, HEAD, the media security headers and refused paths."""

from __future__ import annotations

import email.utils
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.storage import MediaStore
from compat.errors import NOT_FOUND_PAGE

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # 10,248 bytes
KEY = "districts/0123abcd.png"
CSP = "default-src 'none'; sandbox"


@pytest.fixture
async def app_client(store_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(store_settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.services.aclose()


@pytest.fixture
async def media(app_client: httpx.AsyncClient) -> MediaStore:
    store: MediaStore = app_client._transport.app.state.services.store  # type: ignore[attr-defined]
    await store.put(KEY, PNG)
    return store


def assert_media_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CSP


async def test_get_streams_the_object_with_validators(
    app_client: httpx.AsyncClient, media: MediaStore
) -> None:
    response = await app_client.get(f"/media/{KEY}")
    assert response.status_code == 200
    assert response.content == PNG
    info = await media.head(KEY)
    headers = response.headers
    assert headers["content-type"] == "image/png"
    assert headers["content-length"] == str(len(PNG))
    assert headers["etag"] == info.etag
    assert email.utils.parsedate_to_datetime(headers["last-modified"]) == (
        info.last_modified.replace(microsecond=0)
    )
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["accept-ranges"] == "bytes"
    assert headers["content-disposition"] == 'inline; filename="0123abcd.png"'
    assert_media_headers(response)
    assert headers["x-request-id"]


async def test_head_has_the_headers_and_no_body(
    app_client: httpx.AsyncClient, media: MediaStore
) -> None:
    get = await app_client.get(f"/media/{KEY}")
    head = await app_client.head(f"/media/{KEY}")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
        assert head.headers[name] == get.headers[name]
    assert_media_headers(head)


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 10),
        ("bytes=100-199", 100, 200),
        ("bytes=10000-", 10000, len(PNG)),
        ("bytes=-48", len(PNG) - 48, len(PNG)),
        ("bytes=-99999", 0, len(PNG)),  # a suffix longer than the object: all of it
        ("bytes=10240-99999", 10240, len(PNG)),  # clipped to the end
        ("BYTES = 5 - 6", 5, 7),
    ],
)
async def test_single_ranges_are_206(
    app_client: httpx.AsyncClient, media: MediaStore, header: str, start: int, end: int
) -> None:
    response = await app_client.get(f"/media/{KEY}", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == PNG[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{len(PNG)}"
    assert response.headers["content-length"] == str(end - start)
    assert response.headers["content-type"] == "image/png"
    assert_media_headers(response)


@pytest.mark.parametrize("header", ["bytes=10248-", "bytes=20000-30000", "bytes=-0"])
async def test_ranges_past_the_end_are_416(
    app_client: httpx.AsyncClient, media: MediaStore, header: str
) -> None:
    response = await app_client.get(f"/media/{KEY}", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(PNG)}"
    assert response.content == b""
    assert_media_headers(response)


@pytest.mark.parametrize(
    "header", ["bytes=9-2", "bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes=-", "0-5"]
)
async def test_ranges_we_do_not_serve_get_the_whole_object(
    app_client: httpx.AsyncClient, media: MediaStore, header: str
) -> None:
    response = await app_client.get(f"/media/{KEY}", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == PNG


async def test_if_range(app_client: httpx.AsyncClient, media: MediaStore) -> None:
    full = await app_client.get(f"/media/{KEY}")
    etag, modified = full.headers["etag"], full.headers["last-modified"]
    for validator in (etag, modified):
        same = await app_client.get(
            f"/media/{KEY}", headers={"Range": "bytes=0-3", "If-Range": validator}
        )
        assert same.status_code == 206
        assert same.content == PNG[:4]
    for stale in ('"not-the-etag"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT"):
        changed = await app_client.get(
            f"/media/{KEY}", headers={"Range": "bytes=0-3", "If-Range": stale}
        )
        assert changed.status_code == 200
        assert changed.content == PNG


async def test_conditional_get_is_304(app_client: httpx.AsyncClient, media: MediaStore) -> None:
    full = await app_client.get(f"/media/{KEY}")
    etag = full.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await app_client.get(f"/media/{KEY}", headers={"If-None-Match": header})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == full.headers["cache-control"]
        assert "content-length" not in cached.headers
    head = await app_client.head(f"/media/{KEY}", headers={"If-None-Match": etag})
    assert head.status_code == 304
    changed = await app_client.get(f"/media/{KEY}", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert changed.content == PNG


async def test_if_modified_since(app_client: httpx.AsyncClient, media: MediaStore) -> None:
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert (
        await app_client.get(f"/media/{KEY}", headers={"If-Modified-Since": later})
    ).status_code == 304
    assert (
        await app_client.get(f"/media/{KEY}", headers={"If-Modified-Since": earlier})
    ).status_code == 200
    assert (
        await app_client.get(f"/media/{KEY}", headers={"If-Modified-Since": "yesterday"})
    ).status_code == 200
    # If-None-Match wins over If-Modified-Since
    mismatch = {"If-None-Match": '"other"', "If-Modified-Since": later}
    assert (await app_client.get(f"/media/{KEY}", headers=mismatch)).status_code == 200


async def test_missing_object_is_djangos_404(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/media/districts/none.png")
    assert response.status_code == 404
    assert response.content == NOT_FOUND_PAGE
    assert (await app_client.head("/media/districts/none.png")).status_code == 404


@pytest.mark.parametrize(
    "raw_path",
    [
        "/media/..%2F..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e/secret.txt",
        "/media/districts/..%2f..%2fsecret.txt",
        "/media/%2Fetc%2Fpasswd",
        "/media/districts//x.png",
        "/media/districts/.0123abcd.png.ff.part",
        "/media/.hidden",
        "/media/districts%5C0123abcd.png",
        "/media/districts/a%00.png",
        "/media/%ED%B3%BF.png",
        "/media/",
    ],
)
async def test_unsafe_paths_are_404(
    app_client: httpx.AsyncClient,
    media: MediaStore,
    store_settings: Settings,
    tmp_path: Path,
    raw_path: str,
) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    # the hidden temporary file exists for the local store: it must not be served either
    if not store_settings.media_storage:
        (store_settings.media_root / "districts" / ".0123abcd.png.ff.part").write_bytes(PNG)
    response = await app_client.get(raw_path)
    assert response.status_code == 404
    assert response.content == NOT_FOUND_PAGE


async def test_other_methods_are_refused(app_client: httpx.AsyncClient, media: MediaStore) -> None:
    for method in ("POST", "PUT", "DELETE"):
        response = await app_client.request(method, f"/media/{KEY}")
        assert response.status_code == 405
    assert (await app_client.get(f"/media/{KEY}")).content == PNG


async def test_non_images_are_attachments(app_client: httpx.AsyncClient, media: MediaStore) -> None:
    page = b"<html><script>alert(1)</script></html>"
    await media.put("uploads/page.html", page, content_type="text/html")
    await media.put("uploads/фото отчёт.bin", b"\x00\x01")
    response = await app_client.get("/media/uploads/page.html")
    assert response.status_code == 200
    assert response.content == page
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="page.html"'
    assert_media_headers(response)
    odd = await app_client.get(
        "/media/uploads/%D1%84%D0%BE%D1%82%D0%BE%20%D0%BE%D1%82%D1%87%D1%91%D1%82.bin"
    )
    assert odd.status_code == 200
    assert odd.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE%20%D0%BE%D1%82%D1%87%D1%91%D1%82.bin"
    )


async def test_content_type_comes_from_the_image_type_not_the_stored_one(
    app_client: httpx.AsyncClient, media: MediaStore
) -> None:
    """An object stored as text/html under a .png name is still served as an image (S3)."""
    await media.put("districts/mislabelled.png", PNG, content_type="text/html")
    response = await app_client.get("/media/districts/mislabelled.png")
    assert response.headers["content-type"] == "image/png"
    assert_media_headers(response)
