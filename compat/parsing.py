"""Transport-level parsing with DRF's semantics: bodies, form fields, query integers.

Only the *shape* of a request is read here (which parser, which keys were sent, text or file);
every value goes raw to the domain's parsers (``citygraph.domain.parsers``), which give both
faces the same rules and messages.

A multipart body is parsed as it arrives (never read whole first): each file stays in the
spooled temporary file Starlette wrote it to, and goes to the domain as an ``Upload`` of that
file. The form, and with it the files, is closed when the endpoint has answered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from citygraph.domain.errors import FieldError
from citygraph.domain.parsers import Id, parse_integer_id, parse_one
from citygraph.domain.uploads import Upload
from citygraph.domain.values import UNSET
from citygraph.web.forms import read_form
from compat import errors

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class _Empty:
    """A key the client did not send (DRF's ``empty``)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


@dataclass
class Body:
    """A parsed request body: plain values (JSON) or form fields and files (form/multipart)."""

    values: Mapping[str, Any]
    is_form: bool = False
    files: Mapping[str, Upload] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        if key in self.files:
            return self.files[key]
        return self.values.get(key, EMPTY)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


#: Django's ``MultiPartParser.boundary_re`` (matched at the start, as Django does).
_BOUNDARY = re.compile(r"[ -~]{0,200}[!-~]")


def _boundary(content_type: str) -> str | None:
    """The ``boundary`` parameter, unquoted, or ``None`` (Django's ``parse_header_parameters``)."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def _last_values(form: FormData) -> tuple[dict[str, str], dict[str, Upload]]:
    values: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            values.pop(key, None)
            files[key] = Upload.of(value.file, value.filename or "")
        else:
            values[key] = value
            files.pop(key, None)
    return values, files


async def _is_empty(request: Request) -> bool:
    """Whether the body is empty, reading at most its first chunk (only a body that will be
    refused is read this way: nothing parses it afterwards)."""
    async for chunk in request.stream():
        if chunk:
            return False
    return True


async def _parse_multipart(request: Request, raw_type: str) -> Body:
    boundary = _boundary(raw_type)
    if boundary is None or not _BOUNDARY.match(boundary):
        if await _is_empty(request):  # DRF parses no empty body, so finds no boundary fault
            return Body({}, is_form=True)
        # Django's ``MultiPartParser`` wording, checked before any byte is parsed.
        raise errors.parse_error("Multipart form", f"Invalid boundary in multipart: {boundary}")
    try:
        form = await read_form(request)  # closed with the request (``Endpoint``)
    except MultiPartException as exc:
        raise errors.parse_error("Multipart form", exc.message) from exc
    values, files = _last_values(form)
    return Body(values, is_form=True, files=files)


async def parse_body(request: Request) -> Body:
    """DRF's parser choice (JSON, form, multipart); 415 and 400 parse errors in DRF's words."""
    raw_type = request.headers.get("content-type")
    if raw_type is not None and _media_type(raw_type) == MULTIPART:
        return await _parse_multipart(request, raw_type)
    body = await request.body()
    if not body:
        return Body({}, is_form=raw_type is not None and _media_type(raw_type) in (FORM, MULTIPART))
    if raw_type is None:
        raise errors.unsupported_media_type("")
    media = _media_type(raw_type)
    if media == JSON:
        return _parse_json(body)
    if media == FORM:
        try:
            form = await read_form(request)
        except MultiPartException as exc:  # pragma: no cover - lenient parser
            raise errors.parse_error("Form", exc.message) from exc
        values, files = _last_values(form)
        return Body(values, is_form=True, files=files)
    raise errors.unsupported_media_type(raw_type)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _parse_json(raw: bytes) -> Body:
    try:
        text = raw.decode("utf-8")  # the request guard refused nesting too deep to decode
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.parse_error("JSON", str(exc)) from exc
    if data is None:
        raise errors.non_field_error(errors.NO_DATA)
    if not isinstance(data, dict):
        raise errors.non_field_error(
            f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        )
    return Body(data)


class FieldReader:
    """Reads a body's fields the way DRF's serializer fields receive them.

    Shape only: a key the client did not send is ``UNSET`` (the domain form decides whether it
    is required or has a default), a file sent where text belongs reads as its file name
    (Django's ``QueryDict`` merge), text sent where a file belongs is DRF's ``file.invalid``.
    Every value rule (blank, length, characters, e-mail, passwords) is the domain's.
    """

    def __init__(self, body: Body) -> None:
        self.body = body

    def text(self, name: str) -> object:
        value = self.body.get(name)
        if value is EMPTY:
            return UNSET
        if isinstance(value, Upload):
            return value.filename
        return value

    def image(self, name: str) -> object:
        """A DRF ``ImageField(required=False, allow_null=True)``: an ``Upload``, ``None`` or
        ``UNSET``."""
        value = self.body.get(name)
        if value is EMPTY:
            return UNSET
        if value is None or (self.body.is_form and value == ""):
            return None
        if not isinstance(value, Upload):
            return FieldError("file.invalid")
        return value


def query_id(request: Request, name: str) -> Id:
    """The last ``name`` value read as DRF's ``IntegerField`` reads it, as an id.

    Ids that cannot exist (zero, negative, beyond the id columns) match nothing, as in the
    original; a missing or non-integer value is the field's error.
    """
    raw = request.query_params.get(name)
    return parse_one(name, FieldError("required") if raw is None else raw, parse_integer_id)
