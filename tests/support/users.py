"""Test accounts written straight through the domain (no password validators, no mail)."""

from __future__ import annotations

from citygraph.domain import accounts
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.services import Services


async def create_account(
    services: Services,
    username: str,
    *,
    email: str,
    password: str,
    active: bool,
    staff: bool,
    superuser: bool = False,
) -> User:
    """``accounts.create_account`` in a unit of its own, committed."""
    form = accounts.NewAccount.parse(username=username, email=email, password=password).check()
    async with unit_of_work(services, actor=SYSTEM) as uow:
        return await accounts.create_account(
            uow, form, is_active=active, is_staff=staff, is_superuser=superuser
        )
