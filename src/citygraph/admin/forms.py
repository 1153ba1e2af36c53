"""Admin forms: thin WTForms shells whose fields are checked by the domain layer, not here.

The forms only carry raw values (text stays text, so that the domain gives the same messages as
the APIs). When a domain function raises ``InvalidInput``, :func:`form_error` puts each message
under its field of the form being saved, and returns the exception sqladmin shows above the form.

sqladmin builds and validates the form inside its create/edit endpoint and then calls the view's
``insert_model``/``update_model`` without handing it the form; :class:`DomainForm` remembers the
form it validated in a context variable (one per request task) so that the view can reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from markupsafe import Markup
from starlette.datastructures import UploadFile

# WTForms ships no type information (and the project has no stubs for it): Any below.
from wtforms import Field, Form
from wtforms.fields import FileField, MultipleFileField
from wtforms.widgets import FileInput

from citygraph.domain.errors import NON_FIELD_ERRORS, InvalidInput
from citygraph.domain.uploads import Upload

ALLOWED_IMAGE_TYPES = "image/jpeg,image/png,image/webp"
FIX_BELOW = "Please correct the errors below."

_validated_form: ContextVar[Form | None] = ContextVar("citygraph_admin_form", default=None)


class AdminFormError(Exception):
    """A refused save; its message is shown above the form (field messages sit on the fields)."""


class _HideRefusedSaves(logging.Filter):
    """sqladmin logs every exception from a save with a traceback; a refused save is no bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else record.msg
        return not isinstance(error, AdminFormError)


logging.getLogger("sqladmin.application").addFilter(_HideRefusedSaves())


class DomainForm(Form):  # type: ignore[misc]
    """A form that remembers, for this request, that it is the one being saved."""

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        _validated_form.set(self)
        return bool(super().validate(extra_validators))


def control(**attributes: object) -> dict[str, object]:
    """``render_kw`` for a text, number or select input in sqladmin's (Tabler) style."""
    return {"class": "form-control", **attributes}


def select_control(**attributes: object) -> dict[str, object]:
    """``render_kw`` for a ``<select>``: Tabler's ``form-select`` draws it as a select."""
    return {"class": "form-select", **attributes}


CHECKBOX: dict[str, object] = {"class": "form-check-input"}


def form_error(error: InvalidInput, aliases: Mapping[str, str] | None = None) -> AdminFormError:
    """Attach ``error``'s messages to the fields of the form being saved.

    ``aliases`` maps a domain field name to the form field that shows it (e.g. ``image`` to the
    upload field). Messages for fields the form does not have are listed in the summary.
    """
    form = _validated_form.get()
    aliases = aliases or {}
    leftovers: list[str] = []
    for name, messages in error.messages().items():
        target = aliases.get(name, name)
        if form is not None and target in form:
            field = form[target]
            field.errors = [*field.errors, *messages]
        elif name == NON_FIELD_ERRORS:
            leftovers.extend(messages)
        else:
            leftovers.extend(f"{name}: {message}" for message in messages)
    return AdminFormError(" ".join([FIX_BELOW, *leftovers]))


def upload_of(value: object) -> Upload | None:
    """The uploaded file as the domain's ``Upload`` (its spooled file, not read into memory;
    the site closes it with the request), or ``None`` when the file input was left empty."""
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    upload = Upload.of(value.file, value.filename)
    return upload if upload.size else None


def uploads_of(values: object) -> list[Upload]:
    if not isinstance(values, list):
        return []
    found = [upload_of(value) for value in values]
    return [upload for upload in found if upload is not None]


class ImageInput(FileInput):  # type: ignore[misc]
    """A file input for an image that shows the current image (if any) and the chosen one."""

    def __init__(self, media_prefix: str, *, multiple: bool = False) -> None:
        super().__init__(multiple=multiple)
        self.media_prefix = media_prefix

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.setdefault("accept", ALLOWED_IMAGE_TYPES)
        kwargs.setdefault("data_image_preview", "1")
        kwargs.setdefault("class_", "form-control")
        parts: list[Markup] = []
        current = field.object_data if isinstance(field.object_data, str) else None
        if current:
            parts.append(
                Markup(
                    '<div class="mb-2"><img src="{}" alt="" class="admin-thumb admin-thumb-lg">'
                    '<div class="text-muted small">{}</div></div>'
                ).format(f"{self.media_prefix}{current}", current)
            )
            if not field.flags.required:
                box = f"{field.id}_clear"
                parts.append(
                    Markup(
                        '<div class="form-check mb-2"><input class="form-check-input" '
                        'type="checkbox" id="{0}" name="{0}"><label class="form-check-label" '
                        'for="{0}">Remove the current image</label></div>'
                    ).format(box)
                )
        parts.append(super().__call__(field, **kwargs))  # WTForms returns Markup
        parts.append(
            Markup('<div class="admin-preview" data-preview-for="{}"></div>').format(field.id)
        )
        return Markup("").join(parts)


class ImageField(FileField):  # type: ignore[misc]
    """One optional image upload; ``data`` is the ``UploadFile`` (or ``None``)."""

    def __init__(self, label: str, *, media_prefix: str, **kwargs: Any) -> None:
        super().__init__(label, widget=ImageInput(media_prefix), **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = valuelist[0] if valuelist else None

    def _value(self) -> str:
        return ""


class ImagesField(MultipleFileField):  # type: ignore[misc]
    """Any number of image uploads; ``data`` is a list of ``UploadFile``."""

    def __init__(self, label: str, *, media_prefix: str, **kwargs: Any) -> None:
        super().__init__(label, widget=ImageInput(media_prefix, multiple=True), **kwargs)

    def process_data(self, value: Any) -> None:
        self.data: list[Any] = []
        self.object_data = None
