"""Staff operations on other accounts: staff flag and password, superusers protected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from citygraph.domain import accounts
from citygraph.domain.errors import InvalidInput, NotFound, PermissionDenied
from citygraph.domain.parsers import Id, parse_id
from citygraph.domain.policy import SYSTEM, Actor
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.security import passwords
from citygraph.services import Services
from tests.accounts.conftest import make_user

T = TypeVar("T")


async def acting(services: Services, actor: Actor, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """``work`` in a unit of its own, committed (rolled back when it raises), as a face does."""
    async with unit_of_work(services, actor=actor) as uow:
        return await work(uow)


async def test_set_staff_and_password(services: Services) -> None:
    staff = await make_user(services, "staff", staff=True)
    plain = await make_user(services, "plain")
    root_form = accounts.NewAccount.parse(username="root", email="", password="Root-pass-1147")
    root = await acting(services, SYSTEM, lambda uow: accounts.create_superuser(uow, root_form))
    assert plain.id and root.id and staff.id
    assert (root.is_active, root.is_staff, root.is_superuser) == (True, True, True)

    with pytest.raises(PermissionDenied):
        await acting(services, plain, lambda uow: accounts.set_staff(uow, Id(staff.id), False))
    with pytest.raises(PermissionDenied) as caught:
        await acting(services, staff, lambda uow: accounts.set_staff(uow, Id(root.id), False))
    assert caught.value.id == "superuser_only"
    with pytest.raises(PermissionDenied) as caught:
        await acting(services, staff, lambda uow: accounts.set_staff(uow, Id(staff.id), False))
    assert caught.value.id == "cannot_unstaff_self"
    with pytest.raises(NotFound):
        await acting(services, staff, lambda uow: accounts.set_staff(uow, parse_id("nope"), True))
    granted = await acting(services, staff, lambda uow: accounts.set_staff(uow, Id(plain.id), True))
    assert granted.is_staff

    weak = accounts.NewPassword.parse(new_password="plain1")
    with pytest.raises(InvalidInput) as invalid:
        await acting(services, staff, lambda uow: accounts.set_password(uow, Id(plain.id), weak))
    assert list(invalid.value.fields) == ["new_password"]
    strong = accounts.NewPassword.parse(new_password=" Borodino-1812-field ")
    user = await acting(
        services, SYSTEM, lambda uow: accounts.set_password(uow, Id(root.id), strong)
    )
    assert await passwords.check_password("Borodino-1812-field", user.password)
