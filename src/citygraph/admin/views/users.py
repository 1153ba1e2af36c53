"""Users: list, search, filters, activate/deactivate and staff actions, setting a password.

The password hash is in no list, page, form or export. Staff create accounts here with the
registration rules (``accounts.add_account``); accounts are deactivated rather than deleted.
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
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, PasswordField, StringField

from citygraph.admin.forms import CHECKBOX, AdminFormError, DomainForm, control, form_error
from citygraph.admin.views.base import DomainModelView, parse_pk
from citygraph.domain import accounts
from citygraph.domain.errors import DomainError, InvalidInput
from citygraph.domain.parsers import Id
from citygraph.domain.policy import AccountAction
from citygraph.domain.unit import UnitOfWork
from citygraph.models import User


class NewUserForm(DomainForm):
    """The create form: what a registration asks for, plus the two switches."""

    username = StringField("Username", render_kw=control(autocomplete="off"))
    email = StringField("E-mail", render_kw=control(type="email", autocomplete="off"))
    password = PasswordField("Password", render_kw=control(autocomplete="new-password"))
    password_again = PasswordField(
        "Password (again)", render_kw=control(autocomplete="new-password")
    )
    is_active = BooleanField(
        "Active",
        default=True,
        description="Untick to send the activation link by e-mail instead.",
        render_kw=CHECKBOX,
    )
    is_staff = BooleanField(
        "Staff status", description="May log in to this admin.", render_kw=CHECKBOX
    )


# ``accounts.set_active`` / ``accounts.set_staff``: (unit, account id, new value)
UserSwitch = Callable[[UnitOfWork, Id, bool], Awaitable[User]]


class UserAdmin(DomainModelView, model=User):
    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-users"
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
    column_filters: ClassVar[list[Any]] = [
        BooleanFilter("is_active", title="Active"),
        BooleanFilter("is_staff", title="Staff"),
    ]
    form_columns: ClassVar[list[str]] = ["is_active", "is_staff"]
    form_create_rules: ClassVar[list[str]] = [
        "username",
        "email",
        "password",
        "password_again",
        "is_active",
        "is_staff",
    ]
    form_edit_rules: ClassVar[list[str]] = [
        "is_active",
        "is_staff",
        "new_password",
        "new_password_again",
    ]

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop in ("date_joined", "last_login"):
            moment = getattr(obj, prop)
            if not isinstance(moment, datetime):
                return Markup("—")
            # Date and time may go on two lines, each stays whole.
            return Markup(
                '<span class="cg-nowrap">{}</span> <span class="cg-nowrap">{}</span>'
            ).format(moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M UTC"))
        if prop in ("username", "email"):
            # Up to 150 and 254 characters without a space: they may break anywhere.
            return Markup('<span class="cg-break">{}</span>').format(getattr(obj, prop) or "—")
        return None

    async def scaffold_form(self, rules: list[str] | None = None) -> type[DomainForm]:
        if rules == self.form_create_rules:
            return NewUserForm

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

    async def insert_model(self, request: Request, data: dict[str, Any]) -> User:
        """A new account, checked like a registration; the password is typed twice."""
        password = str(data.get("password") or "")
        if password != str(data.get("password_again") or ""):
            raise form_error(InvalidInput.single("password_again", "password_mismatch"))
        form = accounts.NewAccount.parse(
            username=data.get("username"), email=data.get("email") or "", password=password
        )
        async with self.write(request) as uow:
            return await accounts.add_account(
                uow, form, active=bool(data.get("is_active")), staff=bool(data.get("is_staff"))
            )

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> User:
        user_id = parse_pk(pk)
        new_password = str(data.get("new_password") or "")
        if new_password != str(data.get("new_password_again") or ""):
            raise form_error(InvalidInput.single("new_password_again", "password_mismatch"))
        async with self.write(request) as uow:
            user = await accounts.load_account(uow, user_id, AccountAction.VIEW)
            want_active = bool(data.get("is_active"))
            want_staff = bool(data.get("is_staff"))
            if want_active != user.is_active:
                user = await accounts.set_active(uow, user_id, want_active)
            if want_staff != user.is_staff:
                user = await accounts.set_staff(uow, user_id, want_staff)
            if new_password:
                form = accounts.NewPassword.parse(new_password=new_password)
                user = await accounts.set_password(uow, user_id, form)
        return user

    # --- actions on the selected accounts ------------------------------------------------

    async def _apply(
        self, request: Request, switch: UserSwitch, value: bool, done: str
    ) -> Response:
        ids = [parse_pk(pk) for pk in request.query_params.get("pks", "").split(",") if pk]
        if not ids:
            flash(request, "Select at least one account first.", "warning")
        else:
            try:
                async with self.write(request) as uow:
                    for user_id in ids:
                        await switch(uow, user_id, value)
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
        return await self._apply(request, accounts.set_active, True, "activated")

    @action(name="deactivate", label="Deactivate")
    async def deactivate(self, request: Request) -> Response:
        return await self._apply(request, accounts.set_active, False, "deactivated")

    @action(name="grant-staff", label="Grant staff status")
    async def grant_staff(self, request: Request) -> Response:
        return await self._apply(request, accounts.set_staff, True, "made staff")

    @action(name="revoke-staff", label="Revoke staff status")
    async def revoke_staff(self, request: Request) -> Response:
        return await self._apply(request, accounts.set_staff, False, "no longer staff")
