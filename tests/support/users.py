"""Test accounts written straight through the domain (no validation, no mail)."""

from __future__ import annotations

from citygraph.db import session_scope
from citygraph.domain import accounts
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
    """``accounts.create_user`` in a session of its own, committed."""
    async with session_scope(services.sessions) as session:
        return await accounts.create_user(
            session,
            services.settings,
            username=username,
            email=email,
            password=password,
            is_active=active,
            is_staff=staff,
            is_superuser=superuser,
        )
