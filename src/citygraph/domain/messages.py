"""The one catalogue of what citygraph tells people, keyed by message id.

Every field error and domain error carries an id from this table and its parameters; each face
renders the text from here (REST in DRF/Django/djoser/simplejwt's exact wording, GraphQL in
``extensions.code``/``extensions.fields``). Nothing compares message texts: code asks for ids.

An id is ``<code>`` or ``<kind>.<code>``: DRF reuses one code for different texts depending on
the field class (``invalid`` is "Not a valid string." on a ``CharField`` and "A valid integer
is required." on an ``IntegerField``), so the kind tells them apart and :func:`code_of` gives
the DRF code clients see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # DRF ``Field`` / ``CharField``
    "required": "This field is required.",
    "null": "This field may not be null.",
    "blank": "This field may not be blank.",
    "string.invalid": "Not a valid string.",
    "max_length": "Ensure this field has no more than {max_length} characters.",
    "null_characters_not_allowed": "Null characters are not allowed.",
    "surrogate_characters_not_allowed": "Surrogate characters are not allowed: U+{code_point:X}.",
    # DRF ``IntegerField`` / ``DecimalField`` / numbers
    "integer.invalid": "A valid integer is required.",
    "max_string_length": "String value too large.",
    "number.invalid": "A valid number is required.",
    "max_digits": "Ensure that there are no more than {max_digits} digits in total.",
    "max_decimal_places": "Ensure that there are no more than {max_decimal_places} decimal places.",
    "max_whole_digits": (
        "Ensure that there are no more than {max_whole_digits} digits before the decimal point."
    ),
    "max_value": "Ensure this value is less than or equal to {limit_value}.",
    "min_value": "Ensure this value is greater than or equal to {limit_value}.",
    "exclusive_min_value": "Ensure this value is greater than {limit_value}.",
    # DRF ``ChoiceField`` / ``PrimaryKeyRelatedField``
    "invalid_choice": '"{input}" is not a valid choice.',
    "incorrect_type": "Incorrect type. Expected pk value, received {data_type}.",
    "does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.',
    # DRF ``FileField`` / ``ImageField`` (the size limit is citygraph's)
    "file.invalid": "The submitted data was not a file. Check the encoding type on the form.",
    "empty": "The submitted file is empty.",
    "invalid_image": (
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    ),
    "file_too_large": "The file is too large (limit {limit_mb} MB).",
    "image_too_many_pixels": "The image has too many pixels (limit {limit_mp} megapixels).",
    # DRF serializer-level
    "no_data": "No data provided",
    "not_a_dict": "Invalid data. Expected a dictionary, but got {datatype}.",
    # Django ``User``: usernames, e-mail, password validators (in AUTH_PASSWORD_VALIDATORS order)
    "username.invalid": (
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters."
    ),
    "username.unique": "A user with that username already exists.",
    "email.invalid": "Enter a valid email address.",
    "password_too_similar": "The password is too similar to the {verbose_name}.",
    "password_too_short": (
        "This password is too short. It must contain at least {min_length} characters."
    ),
    "password_too_common": "This password is too common.",
    "password_entirely_numeric": "This password is entirely numeric.",
    "password_too_long": (
        "This password is too long. It must contain at most {max_bytes} bytes (UTF-8); bcrypt "
        "ignores anything beyond that."
    ),
    "password_mismatch": "The two password fields didn’t match.",
    # djoser
    "invalid_password": "Invalid password.",
    "invalid_uid": "Invalid user id or user doesn't exist.",
    "invalid_token": "Invalid token for given user.",
    "stale_token": "Stale token for given user.",
    # citygraph's own field rules
    "invalid_cursor": "Invalid cursor.",
    "not_a_list": 'Expected a list of items but got type "{datatype}".',
    "max_terms": "Ensure this list has no more than {max_terms} items.",
    "max_depth": "Filters may be nested at most {max_depth} deep.",
    "min_above_max": "The minimum must not be above the maximum.",
    "distance_needs_a_point": "Ordering by distance needs the point to measure from.",
    # DRF exceptions and permissions
    "not_authenticated": "Authentication credentials were not provided.",
    "permission_denied": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "object_not_found": "No {model} matches the given query.",
    "throttled": "Too many attempts. Try again in {wait} seconds.",
    # account policy (citygraph's rules beyond djoser's)
    "not_owner": "You do not have permission to perform this action.",
    "needs_account": "This operation needs a user account.",
    "superuser_only": "Only a superuser may change a superuser account.",
    "cannot_deactivate_self": "You cannot deactivate your own account.",
    "cannot_unstaff_self": "You cannot remove your own staff status.",
    "no_user_named": "No user named {username!r}.",
    # districts
    "has_places": "This district still has places; delete or move them first.",
    "conflict": "The request conflicts with the current state.",
    # simplejwt
    "no_active_account": "No active account found with the given credentials",
    "no_active_account_for_token": "No active account found for the given token.",
    "token_not_valid": "Token is invalid or expired",
    "token_wrong_type": "Token has wrong type",
    "token_blacklisted": "Token is blacklisted",
    "token_no_user_id": "Token contained no recognizable user identification",
    "user_not_found": "User not found",
    "user_inactive": "User is inactive",
    "bad_authorization_header": "Authorization header must contain two space-delimited values",
    # outages
    "service_unavailable": "The service is temporarily unavailable; try again shortly.",
}


def render(message_id: str, params: Mapping[str, object] | None = None) -> str:
    """The text of ``message_id`` with its parameters filled in."""
    template = MESSAGES[message_id]
    return template.format(**params) if params else template


def code_of(message_id: str) -> str:
    """The DRF-style code of a message id (``string.invalid`` -> ``invalid``)."""
    return message_id.rpartition(".")[2]
