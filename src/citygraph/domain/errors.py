"""Domain errors, mapped once per face (GraphQL codes, DRF-style REST bodies).

DomainError
├── NotAuthenticated        no (valid) credentials where an account is required
├── PermissionDenied        authenticated, but not allowed
├── NotFound                the object does not exist (or is hidden from the actor)
├── InvalidInput            field -> [messages]; ``non_field_errors`` for whole-input errors
├── Conflict                the operation clashes with the current state
├── AuthenticationFailed    login with unknown user, wrong password or inactive account
├── TokenInvalid            a JWT or one-time account token is bad, expired or of wrong type
├── RateLimited             too many attempts; ``retry_after`` seconds
└── ServiceUnavailable      a service the operation needs (the media store) is down; retry later
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

NON_FIELD_ERRORS = "non_field_errors"


class DomainError(Exception):
    """Base of every error a domain function raises on purpose."""

    default_message = "Error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotAuthenticated(DomainError):
    default_message = "Authentication credentials were not provided."


class PermissionDenied(DomainError):
    default_message = "You do not have permission to perform this action."


class NotOwner(PermissionDenied):
    """The object is another account's: the REST face hides it as djoser does (404)."""


class NotFound(DomainError):
    default_message = "Not found."


class Conflict(DomainError):
    default_message = "The request conflicts with the current state."


class AuthenticationFailed(DomainError):
    default_message = "No active account found with the given credentials"


class TokenInvalid(DomainError):
    """``message`` is simplejwt's wording (e.g. ``Token is invalid or expired``)."""

    default_message = "Token is invalid or expired"

    def __init__(self, message: str | None = None, *, token_type: str | None = None) -> None:
        super().__init__(message)
        self.token_type = token_type


class RateLimited(DomainError):
    default_message = "Request was throttled."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """An outage, not the caller's fault: nothing was changed; ``retry_after`` seconds."""

    default_message = "The service is temporarily unavailable. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int = 10) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """Field errors, in the order the fields were checked, each with its messages in order."""

    default_message = "Invalid input."

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields: dict[str, list[str]] = {key: list(msgs) for key, msgs in fields.items()}
        first = next(iter(self.fields.items()), None)
        super().__init__(f"{first[0]}: {first[1][0]}" if first and first[1] else None)

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInput:
        return cls({field: [message]})


class FieldErrors:
    """Collects field errors so a validator can report every problem at once."""

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self._fields.setdefault(field, []).append(message)

    def extend(self, error: InvalidInput) -> None:
        for field, messages in error.fields.items():
            for message in messages:
                self.add(field, message)

    def __bool__(self) -> bool:
        return bool(self._fields)

    def raise_if_any(self) -> None:
        if self._fields:
            raise InvalidInput(self._fields)
