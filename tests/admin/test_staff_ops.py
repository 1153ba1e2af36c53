"""The fallback account operations (``citygraph.admin.staff_ops``) as plain domain functions."""

from __future__ import annotations

import pytest

from citygraph.admin import staff_ops
from citygraph.db import session_scope
from citygraph.domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from citygraph.security import passwords
from citygraph.security.permissions import SYSTEM
from citygraph.services import Services
from tests.admin.conftest import make_user


async def test_set_staff_rules(services: Services) -> None:
    boss = await make_user(services, "boss", staff=True, superuser=True)
    clerk = await make_user(services, "clerk", staff=True)
    reader = await make_user(services, "reader")
    assert reader.id is not None and clerk.id is not None and boss.id is not None
    async with session_scope(services.sessions) as session:
        with pytest.raises(NotAuthenticated):
            await staff_ops.set_staff(session, None, reader.id, True)
        with pytest.raises(PermissionDenied):
            await staff_ops.set_staff(session, reader, reader.id, True)
        with pytest.raises(PermissionDenied, match="superuser"):
            await staff_ops.set_staff(session, clerk, boss.id, False)
        with pytest.raises(PermissionDenied, match="your own"):
            await staff_ops.set_staff(session, clerk, clerk.id, False)
        with pytest.raises(NotFound):
            await staff_ops.set_staff(session, clerk, 2**40, True)
        assert (await staff_ops.set_staff(session, clerk, reader.id, True)).is_staff
        assert not (await staff_ops.set_staff(session, SYSTEM, boss.id, False)).is_staff


async def test_set_password_validates_and_hashes(services: Services) -> None:
    clerk = await make_user(services, "clerk", staff=True)
    reader = await make_user(services, "reader", email="reader@example.com")
    assert reader.id is not None
    async with session_scope(services.sessions) as session:
        with pytest.raises(InvalidInput) as refused:
            await staff_ops.set_password(session, services.settings, clerk, reader.id, "reader1")
        assert "new_password" in refused.value.fields
        with pytest.raises(InvalidInput):
            await staff_ops.set_password(session, services.settings, clerk, reader.id, "   ")
        user = await staff_ops.set_password(
            session, services.settings, clerk, reader.id, "  Quiet-Harbour-88 "
        )
    assert await passwords.check_password("Quiet-Harbour-88", user.password)
