"""``POST /api/v1/district_create/``: permission first, then method, then body (DRF's order)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.compat.conftest import World, png_bytes

URL = "/api/v1/district_create/"
NOT_AUTHENTICATED = b'{"detail":"Authentication credentials were not provided."}'
FORBIDDEN = b'{"detail":"You do not have permission to perform this action."}'
NOT_A_FILE = (
    b'{"image":["The submitted data was not a file. Check the encoding type on the form."]}'
)


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS", "DELETE"])
async def test_anonymous_is_401_whatever_the_method(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    response = await client.request(
        method, URL, content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'JWT realm="api"'
    assert response.headers["allow"] == "POST, OPTIONS"
    assert response.content == NOT_AUTHENTICATED


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
async def test_non_staff_is_403_even_with_a_broken_body(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    headers = {**world.auth(world.alice), "Content-Type": "application/json"}
    response = await client.request(method, URL, content=b"{", headers=headers)
    assert response.status_code == 403
    assert response.content == FORBIDDEN


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_staff_wrong_method_is_405(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    response = await client.request(method, URL, headers=world.auth(world.admin))
    assert response.status_code == 405
    assert response.content == f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()


CASES: list[tuple[object, int, bytes]] = [
    ({"title": "Южный"}, 201, '{"id":4,"title":"Южный","abbreviation":"","image":null}'.encode()),
    (
        {"title": "Западный", "abbreviation": "ЗАО"},
        201,
        '{"id":4,"title":"Западный","abbreviation":"ЗАО","image":null}'.encode(),
    ),
    (
        {"title": "Null image", "image": None},
        201,
        b'{"id":4,"title":"Null image","abbreviation":"","image":null}',
    ),
    (
        {"title": "  Trim me  ", "abbreviation": " AB "},
        201,
        b'{"id":4,"title":"Trim me","abbreviation":"AB","image":null}',
    ),
    (
        {"title": 123, "abbreviation": 4.5},
        201,
        b'{"id":4,"title":"123","abbreviation":"4.5","image":null}',
    ),
    (
        {"id": 777, "title": "With extras", "foo": "bar"},
        201,
        b'{"id":4,"title":"With extras","abbreviation":"","image":null}',
    ),
    ({"title": "Empty image", "image": ""}, 400, NOT_A_FILE),
    ({"title": "x", "image": "http://example.com/a.png"}, 400, NOT_A_FILE),
    ({"title": "x", "image": 5}, 400, NOT_A_FILE),
    (
        {"title": "x", "abbreviation": None},
        400,
        b'{"abbreviation":["This field may not be null."]}',
    ),
    ({"title": "   "}, 400, b'{"title":["This field may not be blank."]}'),
    ({}, 400, b'{"title":["This field is required."]}'),
    ({"title": ""}, 400, b'{"title":["This field may not be blank."]}'),
    ({"title": None}, 400, b'{"title":["This field may not be null."]}'),
    (
        {"title": "T" * 101},
        400,
        b'{"title":["Ensure this field has no more than 100 characters."]}',
    ),
    (
        {"title": "Ж" * 101},
        400,
        b'{"title":["Ensure this field has no more than 100 characters."]}',
    ),
    (
        {"title": "x", "abbreviation": "A" * 11},
        400,
        b'{"abbreviation":["Ensure this field has no more than 10 characters."]}',
    ),
    (
        {"image": "s", "abbreviation": "A" * 11, "title": "T" * 101},
        400,
        b'{"title":["Ensure this field has no more than 100 characters."],'
        b'"abbreviation":["Ensure this field has no more than 10 characters."],'
        b'"image":["The submitted data was not a file. Check the encoding type on the form."]}',
    ),
    ({"title": True}, 400, b'{"title":["Not a valid string."]}'),
    ({"title": ["a"]}, 400, b'{"title":["Not a valid string."]}'),
    ({"title": {"a": 1}}, 400, b'{"title":["Not a valid string."]}'),
    (
        [{"title": "x"}],
        400,
        b'{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}',
    ),
    (None, 400, b'{"non_field_errors":["No data provided"]}'),
    ("abc", 400, b'{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}'),
    (42, 400, b'{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}'),
    (True, 400, b'{"non_field_errors":["Invalid data. Expected a dictionary, but got bool."]}'),
]


@pytest.mark.parametrize(("payload", "status", "expected"), CASES)
async def test_json_bodies(
    client: httpx.AsyncClient, world: World, payload: object, status: int, expected: bytes
) -> None:
    headers = {**world.auth(world.admin), "Content-Type": "application/json"}
    response = await client.post(URL, content=json.dumps(payload).encode(), headers=headers)
    assert (response.status_code, response.content) == (status, expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a":', b'{"detail":"JSON parse error - Expecting value: line 1 column 6 (char 5)"}'),
        (b"nope", b'{"detail":"JSON parse error - Expecting value: line 1 column 1 (char 0)"}'),
        (
            b'{"title": "x",}',
            b'{"detail":"JSON parse error - Expecting property name enclosed '
            b'in double quotes: line 1 column 15 (char 14)"}',
        ),
        (
            b'{"title": NaN}',
            b'{"detail":"JSON parse error - Out of range float values are not '
            b"JSON compliant: 'NaN'\"}",
        ),
        (
            b'{"title": "x"} trailing',
            b'{"detail":"JSON parse error - Extra data: line 1 column 16 (char 15)"}',
        ),
        (
            '\ufeff{"title": "BOM"}'.encode(),
            b'{"detail":"JSON parse error - Unexpected UTF-8 BOM '
            b'(decode using utf-8-sig): line 1 column 1 (char 0)"}',
        ),
        (
            b'{"title": "\xff\xfe"}',
            b"{\"detail\":\"JSON parse error - 'utf-8' codec can't decode "
            b'byte 0xff in position 11: invalid start byte"}',
        ),
        (b'{"title":"\\ud800"}', b'{"title":["Surrogate characters are not allowed: U+D800."]}'),
        (
            b'{"title":"' + b"x" * 101 + b'\\u0000\\ud800","abbreviation":"\\udc00"}',
            b'{"title":["Ensure this field has no more than 100 characters.","Null characters are '
            b'not allowed.","Surrogate characters are not allowed: U+D800."],"abbreviation":'
            b'["Surrogate characters are not allowed: U+DC00."]}',
        ),
        (b"", b'{"title":["This field is required."]}'),
    ],
)
async def test_malformed_json(
    client: httpx.AsyncClient, world: World, raw: bytes, expected: bytes
) -> None:
    headers = {**world.auth(world.admin), "Content-Type": "application/json"}
    response = await client.post(URL, content=raw, headers=headers)
    assert (response.status_code, response.content) == (400, expected)


@pytest.mark.parametrize(
    "content_type",
    ["application/vnd.api+json", "text/plain", "text/plain; charset=utf-8", "application/xml", ""],
)
async def test_unsupported_media_type(
    client: httpx.AsyncClient, world: World, content_type: str
) -> None:
    headers = {**world.auth(world.admin), "Content-Type": content_type}
    response = await client.post(URL, content=b'{"title":"x"}', headers=headers)
    assert response.status_code == 415
    assert response.content == (
        f'{{"detail":"Unsupported media type \\"{content_type}\\" in request."}}'.encode()
    )


async def test_form_bodies(client: httpx.AsyncClient, world: World) -> None:
    auth = world.auth(world.admin)
    created = await client.post(URL, data={"title": "Форма", "abbreviation": "F"}, headers=auth)
    assert created.status_code == 201
    assert created.content == '{"id":4,"title":"Форма","abbreviation":"F","image":null}'.encode()
    text_image = await client.post(URL, data={"title": "Form2", "image": "abc"}, headers=auth)
    assert (text_image.status_code, text_image.content) == (400, NOT_A_FILE)
    empty_image = await client.post(URL, data={"title": "Form3", "image": ""}, headers=auth)
    assert empty_image.content == b'{"id":5,"title":"Form3","abbreviation":"","image":null}'
    missing = await client.post(URL, data={"abbreviation": "F"}, headers=auth)
    assert missing.content == b'{"title":["This field is required."]}'
    charset = await client.post(
        URL,
        content=json.dumps({"title": "charset"}).encode(),
        headers={**auth, "Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.content == b'{"id":6,"title":"charset","abbreviation":"","image":null}'


async def test_multipart_png_is_stored_and_served(client: httpx.AsyncClient, world: World) -> None:
    png = png_bytes((10, 200, 10), size=8)
    response = await client.post(
        URL,
        data={"title": "С картинкой", "abbreviation": "IMG"},
        files={"image": ("pic.png", png, "image/png")},
        headers={**world.auth(world.admin), "Host": "example.com:8080"},
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["id", "title", "abbreviation", "image"]
    assert body["title"] == "С картинкой"
    assert body["image"].startswith("http://example.com:8080/media/districts/")
    assert body["image"].endswith(".png")
    served = await client.get(body["image"].removeprefix("http://example.com:8080"))
    assert served.status_code == 200
    assert served.content == png
    listed = await client.get("/api/v1/disticts/", headers={"Host": "example.com:8080"})
    assert listed.json()[-1] == body


@pytest.mark.parametrize(
    ("files", "data", "expected"),
    [
        (
            {"image": ("a.png", b"not an image at all!", "image/png")},
            {"title": "x"},
            b'{"image":["Upload a valid image. The file you uploaded was either not an image or a '
            b'corrupted image."]}',
        ),
        (
            {"image": ("empty.png", b"", "image/png")},
            {"title": "x"},
            b'{"image":["The submitted file is empty."]}',
        ),
        (
            {"image": ("x.gif", b"GIF89a....", "image/gif")},
            {"title": "T" * 101},
            b'{"title":["Ensure this field has no more than 100 characters."],"image":["Upload a '
            b'valid image. The file you uploaded was either not an image or a corrupted image."]}',
        ),
        ({"other": ("o.txt", b"o", "text/plain")}, {"title": "x", "image": "abc"}, NOT_A_FILE),
        (
            {"other": ("o.txt", b"o", "text/plain")},
            {"abbreviation": "x"},
            b'{"title":["This field is required."]}',
        ),
    ],
)
async def test_multipart_errors(
    client: httpx.AsyncClient,
    world: World,
    files: dict[str, tuple[str, bytes, str]],
    data: dict[str, str],
    expected: bytes,
) -> None:
    response = await client.post(URL, data=data, files=files, headers=world.auth(world.admin))
    assert (response.status_code, response.content) == (400, expected)


async def test_multipart_empty_plain_image_is_null(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        URL,
        data={"title": "mp-empty-image", "image": ""},
        files={"other": ("o.txt", b"o", "text/plain")},
        headers=world.auth(world.admin),
    )
    assert response.content == b'{"id":4,"title":"mp-empty-image","abbreviation":"","image":null}'


async def test_invalid_token_wins_over_staff(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        URL, json={"title": "x"}, headers={"Authorization": "JWT abc.def.ghi"}
    )
    assert response.status_code == 401
