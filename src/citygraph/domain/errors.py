"""Domain errors, each with a message id from :mod:`citygraph.domain.messages`.

Faces map them once, by type and id: GraphQL to ``extensions.code`` (and ``fields``), REST to
DRF's status codes and bodies.

DomainError
├── NotAuthenticated        no (valid) credentials where an account is required
├── PermissionDenied        authenticated, but not allowed
│   └── NotOwner            another account's object: REST hides it (404), as djoser does
├── NotFound                the object does not exist
├── InvalidInput            field -> [FieldError]; ``non_field_errors`` for whole-input errors
├── Conflict                the operation clashes with the current state
├── AuthenticationFailed    login with unknown user, wrong password or inactive account
├── TokenInvalid            a JWT is bad, expired, blacklisted or of the wrong type
├── RateLimited             too many attempts; ``retry_after`` seconds
└── ServiceUnavailable      a dependency (database, object store) is down; retry later
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from citygraph.domain.messages import code_of, render

NON_FIELD_ERRORS = "non_field_errors"


class _Message:
    """A message id and its parameters, shown as a stable ``code`` and a rendered ``message``."""

    id: str
    params: Mapping[str, Any]

    @property
    def code(self) -> str:
        return code_of(self.id)

    @property
    def message(self) -> str:
        return render(self.id, self.params)


@dataclass(frozen=True)
class FieldError(_Message):
    """One problem with one input field: a message id and its parameters."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)


class DomainError(_Message, Exception):
    """Base of every error a domain function raises on purpose."""

    default_id: ClassVar[str] = "conflict"

    def __init__(self, message_id: str | None = None, **params: Any) -> None:
        self.id = message_id or self.default_id
        self.params = params
        super().__init__(self.message)


class NotAuthenticated(DomainError):
    default_id = "not_authenticated"


class PermissionDenied(DomainError):
    default_id = "permission_denied"


class NotOwner(PermissionDenied):
    """The object is another account's: the REST face hides it as djoser does (404)."""

    default_id = "not_owner"


class NotFound(DomainError):
    default_id = "not_found"


class Conflict(DomainError):
    default_id = "conflict"


class AuthenticationFailed(DomainError):
    default_id = "no_active_account"


class TokenInvalid(DomainError):
    """A JWT that cannot be used; ``token_type`` is the kind the caller expected, if any."""

    default_id = "token_not_valid"

    def __init__(self, message_id: str | None = None, *, token_type: str | None = None) -> None:
        super().__init__(message_id)
        self.token_type = token_type


class RateLimited(DomainError):
    default_id = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(wait=retry_after)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """An outage of something the operation needs (the database, the media store): nothing
    was changed, and the client should retry after ``retry_after`` seconds."""

    default_id = "service_unavailable"

    def __init__(self, what: str, retry_after: int = 10) -> None:
        super().__init__()
        self.what = what
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """Field errors, fields in the order they were checked, each with its errors in order."""

    def __init__(self, fields: Mapping[str, Sequence[FieldError]]) -> None:
        self.fields: dict[str, list[FieldError]] = {key: list(errs) for key, errs in fields.items()}
        first = next(((k, v[0]) for k, v in self.fields.items() if v), None)
        self.first = first
        super().__init__("conflict")

    @property
    def code(self) -> str:
        return "invalid"

    @property
    def message(self) -> str:
        if self.first is None:
            return "Invalid input."
        name, error = self.first
        return f"{name}: {error.message}"

    def messages(self) -> dict[str, list[str]]:
        """Field -> rendered messages, in order (DRF's body)."""
        return {name: [error.message for error in errors] for name, errors in self.fields.items()}

    @classmethod
    def single(cls, field_name: str, message_id: str, **params: Any) -> InvalidInput:
        return cls({field_name: [FieldError(message_id, params)]})


class FieldErrors:
    """Collects field errors so an operation reports every problem at once."""

    def __init__(self) -> None:
        self._fields: dict[str, list[FieldError]] = {}

    def add(self, field_name: str, error: FieldError) -> None:
        self._fields.setdefault(field_name, []).append(error)

    def extend(self, field_name: str, errors: Iterable[FieldError]) -> None:
        for error in errors:
            self.add(field_name, error)

    def __contains__(self, field_name: object) -> bool:
        return field_name in self._fields

    def __bool__(self) -> bool:
        return bool(self._fields)

    def raise_if_any(self, order: Sequence[str] = ()) -> None:
        """Raise ``InvalidInput`` with the fields in ``order`` first (a serializer's order)."""
        if not self._fields:
            return
        ordered = {name: self._fields[name] for name in order if name in self._fields}
        ordered.update(self._fields)
        raise InvalidInput(ordered)
