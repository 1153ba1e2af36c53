"""schemathesis against ``/api/openapi.json``: no 5xx, and the REST face does what the document
says, both ways (schema-valid requests accepted, schema-violating ones refused), on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from citygraph.config import Settings
from citygraph.services import Services
from tests.fuzz.conftest import account, run_schemathesis
from tests.support.server import live_server

#: Operations whose acceptance needs what no schema can state, so schema-valid input is
#: legitimately refused (400) and ``positive_data_acceptance`` is off for them only: a real
#: password (``current_password``), a signed uid/token pair, an unused username and a
#: password Django's validators accept, a file that really is an image.
NEEDS_A_SECRET_OR_STATE = (
    "register",
    "activateAccount",
    "resetPasswordConfirm",
    "resetUsernameConfirm",
    "setPassword",
    "setUsername",
    "deleteMe",
    "deleteUser",
    "createDistrict",
)
#: Operations that change the caller's own account (a new e-mail deactivates it): they run as
#: a second account, so the staff account stays usable for the rest of the run.
CHANGE_THE_CALLER = (
    "replaceMe",
    "updateMe",
    "deleteMe",
    "replaceUser",
    "updateUser",
    "deleteUser",
    "setPassword",
    "setUsername",
)
#: Needs two users' resources and an ownership model the document does not describe.
EXCLUDED_CHECKS = "object_level_authorization"


def config_file(path: Path, staff_token: str, user_token: str) -> Path:
    any_of = "|".join(NEEDS_A_SECRET_OR_STATE)
    callers = "|".join(CHANGE_THE_CALLER)
    path.write_text(
        f"""
headers = {{ Authorization = "JWT {staff_token}" }}

[checks]
{EXCLUDED_CHECKS}.enabled = false

# DRF ignores query parameters it does not know, as the document does not forbid them.
[generation]
allow-extra-parameters = false

# NUL is outside every documented string pattern; schemathesis' form encoder adds it anyway.
allow-x00 = false

# schemathesis infers `format: email` for a field named `email` and counts the whitespace DRF
# trims around an address as a violation; the document's pattern allows it, as DRF does.
[[operations]]
include-operation-id-regex = "^(resendActivation|resetPassword|resetUsername)$"
checks.negative_data_rejection.enabled = false

[[operations]]
include-operation-id-regex = "^({any_of})$"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id-regex = "^({callers})$"
headers = {{ Authorization = "JWT {user_token}" }}
"""
    )
    return path


async def test_rest_face_matches_its_openapi_document(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    staff = await account(services, "fuzzstaff", staff=True)
    user = await account(services, "fuzzuser", staff=False)
    config = config_file(tmp_path / "schemathesis.toml", staff.token, user.token)
    with live_server(settings) as base_url:
        result = run_schemathesis(f"{base_url}/api/openapi.json", config)
    assert result.returncode == 0, result.stdout[-8000:]
    assert "25/25" in result.stdout  # every operation was selected and tested
