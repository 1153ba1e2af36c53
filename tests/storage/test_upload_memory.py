"""A large photo is never held twice in the server's memory: a real ``citygraph serve`` takes
a 9.3 MiB PNG through REST ``district_create`` and GraphQL ``addPlaceImage`` (local folder and
S3 on moto), and its peak resident memory (``VmHWM``, reset through ``/proc/<pid>/clear_refs``
just before each upload) grows by less than the decoded pixels plus one copy of the file.

The decoded pixels are inherent: Pillow decodes every upload to re-encode it. Everything else
is bounded: the upload stays in the request's spooled temporary file, Pillow reads it lazily,
the re-encoded image goes to a spooled file that the store reads in chunks (S3 holds one copy
of it for its single PUT, once the pixels are freed). Measured here: about 13.5 MB of growth
on both faces and both stores; before uploads were streamed (each face read the file into
bytes, REST the whole body first, and the domain copied the pixels and re-encoded into a
BytesIO) the same uploads grew it by 45 MB (GraphQL) and 53 MB (REST), and this test failed.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.storage.conftest import BUCKET
from tests.support.s3 import MotoServer, s3_settings
from tests.support.serve import citygraph_serve

MB = 1024 * 1024
#: 1,800 x 1,800 RGB noise: 9.3 MiB of pixels, a PNG just as large, under the 10 MiB limit.
SIDE = 1800
PIXELS = SIDE * SIDE * 3
#: Room for what is not proportional to the file: zlib's and the parsers' buffers, SQL, logs.
SLACK = 6 * MB
PASSWORD = "Memory-password-2024"
ADD_IMAGE = (
    "mutation($id: Int!, $image: Upload!) {"
    " addPlaceImage(placeId: $id, image: $image) { id image } }"
)
CREATE_PLACE = "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id } }"


def noise_png(side: int, seed: int) -> bytes:
    """A valid PNG that does not compress, so that the file is as large as its pixels."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MB
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class Peak:
    """The growth of a process's peak resident memory over one block of work."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.growth = 0.0

    def __enter__(self) -> Peak:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        self.before = status_mb(self.pid, "VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        self.growth = status_mb(self.pid, "VmHWM") - self.before


def server_pid(port: int) -> int:
    """The pid of the process listening on ``port`` (``citygraph serve`` may run uvicorn in
    the process it starts or in a child)."""
    inode_hex = f"{port:04X}"
    inodes = {
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(":" + inode_hex) and line.split()[3] == "0A"
    }
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return int(proc.name)
    raise AssertionError(f"no process listens on port {port}")


@pytest.fixture(scope="module")
def photo() -> bytes:
    data = noise_png(SIDE, 7)
    assert 9 * MB < len(data) <= 10 * MB
    return data


@pytest.fixture(params=["local", "s3"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, moto: MotoServer, unique: str
) -> Iterator[tuple[str, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "AWS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'memory.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
        CITYGRAPH_BCRYPT_ROUNDS="4",
        CITYGRAPH_LOG_LEVEL="warning",
    )
    if request.param == "s3":
        overrides = s3_settings(moto.endpoint, f"s3://{BUCKET}/memory-{unique}")
        env.update({k: str(v) for k, v in overrides.items()})
    cli = [sys.executable, "-m", "citygraph.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    superuser = ["--username", "memory", "--email", "m@example.com", "--password", PASSWORD]
    subprocess.run(
        [*cli, "createsuperuser", *superuser],
        env=env,
        check=True,
        capture_output=True,
    )
    with citygraph_serve(env, tmp_path) as server:
        yield server.base_url, server_pid(server.port)


async def rest_upload(client: httpx.AsyncClient, title: str, data: bytes) -> int:
    response = await client.post(
        "/api/v1/district_create/",
        data={"title": title},
        files={"image": ("photo.png", data, "image/png")},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def graphql_upload(client: httpx.AsyncClient, place_id: int, data: bytes) -> None:
    operations = {"query": ADD_IMAGE, "variables": {"id": place_id, "image": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
        files={"0": ("photo.png", data, "image/png")},
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["addPlaceImage"]["image"].endswith(".png")


@pytest.mark.parametrize("face", ["REST district_create", "GraphQL addPlaceImage"])
async def test_a_large_upload_is_never_held_twice(
    served: tuple[str, int], photo: bytes, face: str
) -> None:
    """One large upload per server: memory a first upload freed would hide a second's."""
    base, pid = served
    bound = (PIXELS + len(photo) + SLACK) / MB
    small = noise_png(64, 1)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        login = await client.post(
            "/auth/jwt/create/", json={"username": "memory", "password": PASSWORD}
        )
        client.headers["Authorization"] = f"JWT {login.json()['access']}"
        district_id = await rest_upload(client, "warm-up", small)  # codecs, clients, SQL
        created = await client.post(
            "/graphql",
            json={
                "query": CREATE_PLACE,
                "variables": {
                    "input": {
                        "title": "Место",
                        "latitude": "55.753930",
                        "longitude": "37.620795",
                        "districtId": district_id,
                    }
                },
            },
        )
        place_id = created.json()["data"]["createPlace"]["id"]
        await graphql_upload(client, place_id, small)

        with Peak(pid) as peak:
            if face.startswith("REST"):
                await rest_upload(client, "large", photo)
            else:
                await graphql_upload(client, place_id, photo)

    figures = (
        f"{face}: file {len(photo) / MB:.1f} MB, pixels {PIXELS / MB:.1f} MB, "
        f"peak growth {peak.growth:.1f} MB (bound {bound:.1f} MB)"
    )
    print(figures)
    assert peak.growth < bound, figures
