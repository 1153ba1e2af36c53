"""Users: list, search, filters, activate/deactivate and staff actions, setting a password.

The password hash is in no list, page, form or export. Accounts are created by registration (REST
or GraphQL) or ``citygraph createsuperuser``, never here, and are deactivated rather than deleted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from markupsafe import Markup
from sqladmin import action
from sqladmin.filters import BooleanFilter
from sqladmin.flash import flash
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, PasswordField

from citygraph.admin.forms import CHECKBOX, AdminFormError, DomainForm, control
from citygraph.admin.views.base import DomainModelView, admin_user, parse_pk
from citygraph.domain import accounts
from citygraph.domain.errors import DomainError, InvalidInput
from citygraph.models import User
from citygraph.security.permissions import Actor

NOT_YOURSELF = accounts.CANNOT_DEACTIVATE_YOURSELF
PASSWORDS_DIFFER = "The two password fields didn’t match."

# ``accounts.set_active_by_id`` / ``accounts.set_staff``: (session, actor, user id, new value)
UserSwitch = Callable[[AsyncSession, Actor, int, bool], Awaitable[User]]


class UserAdmin(DomainModelView, model=User):
    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-users"
    can_create = False
    can_delete = False

    column_list: ClassVar[list[str]] = [
        "id",
        "username",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
    ]
    column_details_list: ClassVar[list[str]] = [*column_list, "last_login"]
    column_labels: ClassVar[dict[Any, str]] = {
        "id": "ID",
        "username": "Username",
        "email": "E-mail",
        "is_active": "Active",
        "is_staff": "Staff",
        "is_superuser": "Superuser",
        "date_joined": "Joined",
        "last_login": "Last login",
    }
    column_searchable_list: ClassVar[list[str]] = ["username", "email"]
    column_sortable_list: ClassVar[list[str]] = ["id", "username", "email", "date_joined"]
    column_default_sort = ("id", True)
    column_filters: ClassVar[list[Any]] = [
        BooleanFilter("is_active", title="Active"),
        BooleanFilter("is_staff", title="Staff"),
    ]
    form_columns: ClassVar[list[str]] = ["is_active", "is_staff"]

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop in ("date_joined", "last_login"):
            moment = getattr(obj, prop)
            text = moment.strftime("%Y-%m-%d %H:%M UTC") if isinstance(moment, datetime) else "—"
            return Markup("{}").format(text)
        return None

    async def scaffold_form(self, rules: list[str] | None = None) -> type[DomainForm]:
        class UserForm(DomainForm):
            is_active = BooleanField("Active", render_kw=CHECKBOX)
            is_staff = BooleanField(
                "Staff status", description="May log in to this admin.", render_kw=CHECKBOX
            )
            new_password = PasswordField(
                "New password",
                description="Leave empty to keep the current password.",
                render_kw=control(autocomplete="new-password"),
            )
            new_password_again = PasswordField(
                "New password (again)", render_kw=control(autocomplete="new-password")
            )

        return UserForm

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> User:
        actor = admin_user(request)
        user_id = parse_pk(pk)
        new_password = str(data.get("new_password") or "")
        async with self.write() as session:
            if new_password != str(data.get("new_password_again") or ""):
                raise InvalidInput.single("new_password_again", PASSWORDS_DIFFER)
            user = await session.get(User, user_id)
            if user is None:
                raise AdminFormError(f"No user with id {user_id}.")
            want_active = bool(data.get("is_active"))
            want_staff = bool(data.get("is_staff"))
            if want_active != user.is_active:
                user = await accounts.set_active_by_id(session, actor, user_id, want_active)
            if want_staff != user.is_staff:
                user = await accounts.set_staff(session, actor, user_id, want_staff)
            if new_password:
                user = await accounts.set_password(
                    session, self.settings, actor, user_id, new_password
                )
        return user

    # --- actions on the selected accounts ------------------------------------------------

    async def _apply(
        self,
        request: Request,
        switch: UserSwitch,
        value: bool,
        done: str,
        *,
        self_refusal: str = "",
    ) -> Response:
        actor = admin_user(request)
        ids = [parse_pk(pk) for pk in request.query_params.get("pks", "").split(",") if pk]
        if not ids:
            flash(request, "Select at least one account first.", "warning")
        elif self_refusal and actor.id in ids:
            flash(request, self_refusal, "danger")
        else:
            try:
                async with self.write() as session:
                    for user_id in ids:
                        await switch(session, actor, user_id, value)
            except (AdminFormError, DomainError) as exc:
                flash(request, str(exc), "danger")
            else:
                noun = "account" if len(ids) == 1 else "accounts"
                flash(request, f"{len(ids)} {noun} {done}.", "success")
        return RedirectResponse(self._back(request), status_code=302)

    def _back(self, request: Request) -> str:
        """Back to the page the action was started from (list or details), else the list."""
        referer = request.headers.get("referer", "")
        parts = urlsplit(referer)
        if referer and parts.netloc == request.url.netloc and parts.path.startswith("/admin/"):
            return referer
        return str(request.url_for("admin:list", identity=self.identity))

    @action(name="activate", label="Activate")
    async def activate(self, request: Request) -> Response:
        return await self._apply(request, accounts.set_active_by_id, True, "activated")

    @action(name="deactivate", label="Deactivate")
    async def deactivate(self, request: Request) -> Response:
        return await self._apply(
            request, accounts.set_active_by_id, False, "deactivated", self_refusal=NOT_YOURSELF
        )

    @action(name="grant-staff", label="Grant staff status")
    async def grant_staff(self, request: Request) -> Response:
        return await self._apply(request, accounts.set_staff, True, "made staff")

    @action(name="revoke-staff", label="Revoke staff status")
    async def revoke_staff(self, request: Request) -> Response:
        return await self._apply(
            request,
            accounts.set_staff,
            False,
            "no longer staff",
            self_refusal=accounts.NOT_YOURSELF,
        )
