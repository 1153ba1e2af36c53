"""Transport-level parsing with DRF's semantics: bodies, form fields, query integers.

Only *shape* is checked here (present, not null, not blank, a string, an integer, a file);
value rules (lengths, choices, password rules, e-mail syntax) belong to the domain functions,
which produce the same messages for both faces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from compat import errors
from compat.errors import ApiError

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

MAX_INTEGER_STRING = 1000  # DRF IntegerField.MAX_STRING_LENGTH
_DECIMAL_TAIL = re.compile(r"\.0*\s*$")  # DRF: "1.0" and "1." are integers, "1.5" is not


class _Empty:
    """A key the client did not send (DRF's ``empty``)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


@dataclass
class Upload:
    filename: str
    data: bytes


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


def _last_values(form: FormData) -> tuple[dict[str, str], dict[str, Upload]]:
    values: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values[key] = value
            files.pop(key, None)
        else:
            values.pop(key, None)
            files[key] = Upload(value.filename or "", b"")
    return values, files


async def _read_uploads(form: FormData, files: dict[str, Upload]) -> None:
    for key, value in form.multi_items():
        if isinstance(value, UploadFile) and key in files:
            files[key] = Upload(value.filename or "", await value.read())


async def parse_body(request: Request) -> Body:
    """DRF's parser choice (JSON, form, multipart); 415 and 400 parse errors in DRF's words."""
    raw_type = request.headers.get("content-type")
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
            form = await request.form()
        except (ValueError, UnicodeDecodeError) as exc:  # pragma: no cover - lenient parser
            raise errors.parse_error("Form", str(exc)) from exc
        values, files = _last_values(form)
        return Body(values, is_form=True, files=files)
    if media == MULTIPART:
        try:
            form = await request.form()
        except (MultiPartException, ValueError, KeyError, AssertionError) as exc:
            raise errors.parse_error("Multipart form", str(exc) or "Invalid boundary") from exc
        values, files = _last_values(form)
        await _read_uploads(form, files)
        await form.close()
        return Body(values, is_form=True, files=files)
    raise errors.unsupported_media_type(raw_type)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _parse_json(raw: bytes) -> Body:
    try:
        text = raw.decode("utf-8")
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


def string_problem(value: str) -> str | None:
    if "\x00" in value:
        return errors.NULL_CHARACTERS
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            return errors.SURROGATES.format(code=ord(char))
    return None


class FieldReader:
    """Reads fields in the serializer's order, collecting DRF's transport messages."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.errors: dict[str, list[str]] = {}

    def _fail(self, name: str, message: str) -> None:
        self.errors[name] = [message]

    def string(
        self,
        name: str,
        *,
        required: bool = True,
        allow_blank: bool = False,
        trim: bool = True,
        default: str | None = None,
        characters: bool = True,
    ) -> Any:
        """A DRF ``CharField``: returns the cleaned string, ``EMPTY`` or the default.

        ``characters=False`` leaves NUL and lone surrogates to the domain, for fields whose
        other validators run alongside (DRF reports them together).
        """
        value = self.body.get(name)
        if isinstance(value, Upload):
            value = value.filename
        if value is EMPTY:
            if required:
                self._fail(name, errors.REQUIRED)
            return EMPTY if default is None else default
        if value is None:
            self._fail(name, errors.NULL)
            return EMPTY
        if value == "" or (
            trim and isinstance(value, str | int | float) and not str(value).strip()
        ):
            if not allow_blank:
                self._fail(name, errors.BLANK)
                return EMPTY
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self._fail(name, errors.NOT_A_STRING)
            return EMPTY
        text = str(value)
        if trim:
            text = text.strip()
        problem = string_problem(text) if characters else None
        if problem:
            self._fail(name, problem)
            return EMPTY
        return text

    def image(self, name: str) -> Any:
        """A DRF ``ImageField(required=False, allow_null=True)``: bytes, ``None`` or ``EMPTY``."""
        value = self.body.get(name)
        if value is EMPTY:
            return EMPTY
        if value is None or (self.body.is_form and value == ""):
            return None
        if not isinstance(value, Upload):
            self._fail(name, errors.NOT_A_FILE)
            return EMPTY
        return value.data

    def raise_if_errors(self, order: Iterable[str] = ()) -> None:
        if not self.errors:
            return
        ordered = {key: self.errors[key] for key in order if key in self.errors}
        ordered.update(self.errors)
        raise ApiError.fields(ordered)


def query_integer(request: Request, name: str) -> int:
    """The last ``name`` value as DRF's ``IntegerField`` reads it, or ``ApiError``.

    Any size is returned; ids that cannot exist (zero, negative, beyond 64 bits) simply match
    nothing in the domain functions, as in the original.
    """
    raw = request.query_params.get(name)
    if raw is None:
        raise ApiError.fields({name: [errors.REQUIRED]})
    if len(raw) > MAX_INTEGER_STRING:
        raise ApiError.fields({name: [errors.INTEGER_STRING_TOO_LARGE]})
    try:
        return int(_DECIMAL_TAIL.sub("", raw))
    except ValueError:
        raise ApiError.fields({name: [errors.NOT_AN_INTEGER]}) from None
