"""Staff operations on other accounts: staff flag and password, superusers protected."""

from __future__ import annotations

import pytest

from citygraph.db import session_scope
from citygraph.domain import accounts
from citygraph.domain.errors import InvalidInput, NotFound, PermissionDenied
from citygraph.security import passwords
from citygraph.security.permissions import SYSTEM
from citygraph.services import Services
from tests.accounts.conftest import make_user


async def test_set_staff_and_password(services: Services) -> None:
    staff = await make_user(services, "staff", staff=True)
    plain = await make_user(services, "plain")
    async with session_scope(services.sessions) as session:
        root = await accounts.create_superuser(
            session, services.settings, username="root", email="", password="Root-pass-1147"
        )
    assert plain.id and root.id and staff.id
    async with session_scope(services.sessions) as session:
        with pytest.raises(PermissionDenied):
            await accounts.set_staff(session, plain, staff.id, False)
        with pytest.raises(PermissionDenied):
            await accounts.set_staff(session, staff, root.id, False)
        with pytest.raises(PermissionDenied):
            await accounts.set_staff(session, staff, staff.id, False)
        with pytest.raises(NotFound):
            await accounts.set_staff(session, staff, "nope", True)
        assert (await accounts.set_staff(session, staff, plain.id, True)).is_staff
        with pytest.raises(InvalidInput) as caught:
            await accounts.set_password(session, services.settings, staff, plain.id, "plain1")
        assert list(caught.value.fields) == ["new_password"]
        user = await accounts.set_password(
            session, services.settings, SYSTEM, root.id, " Borodino-1812-field "
        )
        assert await passwords.check_password("Borodino-1812-field", user.password)
