"""One source row -> one citygraph row, or the reason it cannot be imported.

Districts and places go through the domain's own forms (``DistrictForm``, ``PlaceForm``), so
an imported row obeys the same rules as one created through the APIs, and a refused row's
reason is the message the API would give. Accounts keep what Django stored: the username and
e-mail as they are (Django validated them), the password hash untouched (checked at login by
``security.django_hashes`` and upgraded then), the flags and both dates. Dates without a time
zone (Django's SQLite columns) are UTC, as Django writes them with ``USE_TZ = True``.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from citygraph.domain.districts import DistrictForm
from citygraph.domain.errors import InvalidInput
from citygraph.domain.parsers import COORDINATE_QUANTUM, Form
from citygraph.domain.places import PlaceForm
from citygraph.importer.reading import Row
from citygraph.storage.base import InvalidKey, check_key

_FLOAT_CONTEXT = decimal.Context(prec=15)
USERNAME_MAX = 150
EMAIL_MAX = 254
PASSWORD_MAX = 128
IMAGE_PATH_MAX = 255


class Skip(Exception):
    """This row cannot be imported; the message says why."""


@dataclass(frozen=True)
class Mapped:
    row: Row
    files: tuple[str, ...] = ()  # media keys the row refers to


def _datetime(value: Any, *, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Skip(f"{name} {value!r} is not a date and time") from None
    if not isinstance(value, datetime):
        raise Skip(f"{name} is not a date and time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _text(value: Any, *, name: str, max_length: int, blank: bool = True) -> str:
    if not isinstance(value, str) or (not blank and not value):
        raise Skip(f"{name} is empty or not text")
    if len(value) > max_length:
        raise Skip(f"{name} is longer than {max_length} characters")
    if "\x00" in value:
        raise Skip(f"{name} contains a NUL character")
    return value


def media_key(value: Any, *, name: str) -> str | None:
    """A FileField's stored relative path as a store key (``None``/``""``: no file)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > IMAGE_PATH_MAX:
        raise Skip(f"{name} is not a file path of at most {IMAGE_PATH_MAX} characters")
    try:
        return check_key(value)
    except InvalidKey as exc:
        raise Skip(f"{name} {value!r} is not a safe relative path ({exc})") from None


def files(source: Row) -> tuple[str, ...]:
    """The media keys a source row refers to (district and place images), valid ones only."""
    try:
        key = media_key(source.get("image"), name="image")
    except Skip:
        return ()
    return (key,) if key else ()


def _checked(form: Form) -> None:
    try:
        form.check()
    except InvalidInput as exc:
        reasons = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.messages().items()
        )
        raise Skip(reasons) from None


def _number(value: Any) -> object:
    """A coordinate as Django reads it: SQLite keeps its decimals as floats (``55.670458`` may
    come back as ``55.670457999999996``), which Django rounds to 15 digits, then 6 places."""
    if isinstance(value, float):
        return _FLOAT_CONTEXT.create_decimal_from_float(value).quantize(COORDINATE_QUANTUM)
    return value


def user(source: Row) -> Mapped:
    return Mapped(
        {
            "id": int(source["id"]),
            "username": _text(
                source["username"], name="username", max_length=USERNAME_MAX, blank=False
            ),
            "email": _text(source["email"] or "", name="email", max_length=EMAIL_MAX),
            "password": _text(source["password"], name="password", max_length=PASSWORD_MAX),
            "is_active": bool(source["is_active"]),
            "is_staff": bool(source["is_staff"]),
            "is_superuser": bool(source["is_superuser"]),
            "date_joined": _datetime(source["date_joined"], name="date_joined"),
            "last_login": None
            if source["last_login"] is None
            else _datetime(source["last_login"], name="last_login"),
        }
    )


def district(source: Row) -> Mapped:
    form = DistrictForm.parse(title=source["title"], abbreviation=source["abbreviation"] or "")
    _checked(form)
    image = media_key(source["image"], name="image")
    return Mapped(
        {
            "id": int(source["id"]),
            "title": form.title,
            "abbreviation": form.abbreviation,
            "image": image,
        },
        (image,) if image else (),
    )


def place(source: Row, known_districts: set[int]) -> Mapped:
    form = PlaceForm.parse(
        title=source["title"],
        short_description=source["short_description"] or "",
        full_description=source["full_description"] or "",
        longitude=_number(source["longitude"]),
        latitude=_number(source["latitude"]),
        type=source["type"],
        district=source["district_id"],
    )
    _checked(form)
    if form.district not in known_districts:
        raise Skip(f"district {form.district} was not imported")
    return Mapped(
        {
            "id": int(source["id"]),
            "title": form.title,
            "short_description": form.short_description,
            "full_description": form.full_description,
            "longitude": Decimal(form.longitude),
            "latitude": Decimal(form.latitude),
            "type": form.type,
            "district_id": form.district,
        }
    )


def image(source: Row, known_places: set[int]) -> Mapped:
    key = media_key(source["image"], name="image")
    if key is None:
        raise Skip("image is empty")
    place_id = source["place_id"]
    if place_id not in known_places:
        raise Skip(f"place {place_id} was not imported")
    return Mapped({"id": int(source["id"]), "image": key, "place_id": int(place_id)}, (key,))
