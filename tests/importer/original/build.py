"""Build a real original database with the original stack, in a process of its own.

``python -m tests.importer.original.build create`` migrates (``migrate --run-syncdb``), registers
the accounts through djoser's ``POST /auth/users/`` (so their hashes are Django's own), re-hashes
some with other ``PASSWORD_HASHERS`` entries, activates some, makes one staff member, creates
districts, places and images with real files (one file then removed), mints a simplejwt access
token, and prints a JSON manifest. ``... grow`` adds one account, one place and one image.
"""

from __future__ import annotations

import io
import json
import os
import sys
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.importer.original.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from tests.importer.original.guide.models import District, Place, PlaceImage  # noqa: E402

# username -> (password, hasher name or None for djoser's default, active, staff)
ACCOUNTS: dict[str, tuple[str, str | None, bool, bool]] = {
    "alice": ("Kremlin-Walk-2024", None, True, True),
    "boris": ("Arbat-Street-1493", None, True, False),
    "vera": ("Sokolniki-Park-77", "argon2", True, False),
    "gleb": ("Tverskaya-Bridge-5", "bcrypt_sha256", True, False),
    "даша": ("Zamoskvorechye-12", "pbkdf2_sha1", True, False),
    "egor": ("Kolomenskoe-Hill-8", None, False, False),
    "zhanna": ("Izmailovo-Island-3", None, True, False),  # made unusable below
}
GROWN = {"fedor": ("Lefortovo-Palace-9", None, True, False)}


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def register(client: Client, username: str, password: str) -> User:
    response = client.post(
        "/auth/users/",
        {"username": username, "password": password, "email": f"{len(username)}x@example.com"},
        content_type="application/json",
    )
    if response.status_code != 201:
        raise SystemExit(f"djoser refused {username}: {response.status_code} {response.content!r}")
    return User.objects.get(id=response.json()["id"])


def accounts(specs: dict[str, tuple[str, str | None, bool, bool]]) -> list[dict[str, Any]]:
    client = Client()
    made = []
    for username, (password, hasher, active, staff) in specs.items():
        user = register(client, username, password)
        if hasher is not None:
            user.password = make_password(password, hasher=hasher)
        if username == "zhanna":
            user.set_unusable_password()
        user.is_active = active
        user.is_staff = staff
        user.save()
        made.append(
            {
                "id": user.id,
                "username": username,
                "password": password,
                "hash": user.password,
                "active": active,
                "staff": staff,
            }
        )
    return made


def image_row(place: Place, name: str, colour: tuple[int, int, int]) -> PlaceImage:
    row = PlaceImage(place=place)
    row.image.save(name, ContentFile(png(colour)), save=True)
    return row


def create() -> dict[str, Any]:
    call_command("migrate", run_syncdb=True, verbosity=0)
    users = accounts(ACCOUNTS)
    centre = District.objects.create(title="Центральный", abbreviation="ЦАО")
    centre.image.save("центр.png", ContentFile(png((200, 30, 30))), save=True)
    north = District.objects.create(title="Северный", abbreviation="САО")
    kremlin = Place.objects.create(
        title="Московский Кремль",
        short_description="Крепость в центре Москвы",
        full_description="Главный общественно-политический и историко-художественный комплекс.",
        longitude=Decimal("37.617635"),
        latitude=Decimal("55.752023"),
        type="monument",
        district=centre,
    )
    park = Place.objects.create(
        title="Парк Горького",
        longitude=Decimal("37.603014"),
        latitude=Decimal("55.729792"),
        type="park",
        district=centre,
    )
    vdnh = Place.objects.create(
        title="ВДНХ",
        longitude=Decimal("37.625000"),
        latitude=Decimal("55.826000"),
        type="museum",
        district=north,
    )
    image_row(kremlin, "kremlin.png", (10, 120, 200))
    image_row(kremlin, "кремль-ночью.png", (20, 20, 90))
    image_row(park, "park.png", (30, 160, 40))
    lost = image_row(vdnh, "lost.png", (250, 250, 0))
    lost.image.storage.delete(lost.image.name)  # the row stays; its file is gone
    alice = User.objects.get(username="alice")
    return {
        "users": users,
        "access": str(AccessToken.for_user(alice)),
        "missing": [lost.image.name],
    }


def grow() -> dict[str, Any]:
    users = accounts(GROWN)
    north = District.objects.get(title="Северный")
    place = Place.objects.create(
        title="Останкинская телебашня",
        longitude=Decimal("37.611250"),
        latitude=Decimal("55.819722"),
        type="unique_place",
        district=north,
    )
    image_row(place, "tower.png", (90, 90, 90))
    return {"users": users, "place": place.id}


if __name__ == "__main__":
    action = sys.argv[1]
    result = create() if action == "create" else grow()
    json.dump(result, sys.stdout)
