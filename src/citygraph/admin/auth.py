"""Admin login: staff accounts only, checked like the APIs' logins, in a signed session cookie.

- Credentials go through the one login, ``accounts.log_in`` (the same normalisation, rate
  limit and bcrypt check as ``POST /auth/jwt/create/`` and ``createToken``, so all entry points
  share their counters; one answer for unknown user, wrong password and inactive account). An
  active non-staff account is then refused by name.
- The session (Starlette's ``SessionMiddleware``, signed with the secret key) lives in the
  ``citygraph_admin`` cookie: path ``/admin``, ``HttpOnly``, ``SameSite=Strict``, ``Secure`` in
  production, 8 hours. It holds the user id, the account's ``session_version`` and a fingerprint
  of the password hash; every admin request reloads the account and ends the session when the
  account is gone, inactive, no longer staff, its password was changed, or its session version
  moved (``accounts.end_sessions``: logout, deactivation, password change). So a copy of the
  cookie taken before logout is refused after it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from citygraph.admin.views.base import ADMIN_USER
from citygraph.domain import accounts
from citygraph.domain.errors import AuthenticationFailed, InvalidInput, RateLimited
from citygraph.domain.parsers import parse_id
from citygraph.domain.policy import is_staff
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.services import Services
from citygraph.web.observe import note_user
from citygraph.web.state import client_address

log = logging.getLogger("citygraph.admin")

SESSION_COOKIE = "citygraph_admin"
SESSION_MAX_AGE = 8 * 3600
USER_KEY = "user_id"  # sqladmin's default ``get_user_id`` reads this key
FINGERPRINT_KEY = "auth"
VERSION_KEY = "version"

WRONG_CREDENTIALS = (
    "Please enter the correct username and password of an active staff account. "
    "Note that both fields may be case-sensitive."
)
NOT_STAFF = "This account is not a staff account, so it cannot use the admin."
MISSING_FIELDS = "Enter both a username and a password."


def _fingerprint(secret: str, password_hash: str) -> str:
    """Changes when the password changes, so that other sessions of the account end."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:32]


class StaffAuthentication(AuthenticationBackend):
    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            path="/admin",
            same_site="strict",
            https_only=settings.is_production,
        )
        self.services = services
        self.templates: Jinja2Templates | None = None  # set by ``mount_admin``

    async def _refuse(self, request: Request, message: str, status_code: int) -> Response:
        assert self.templates is not None
        response: Response = await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": message}, status_code=status_code
        )
        return response

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        username = form.get("username")
        password = form.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return await self._refuse(request, MISSING_FIELDS, 400)
        if not username.strip() or not password:
            return await self._refuse(request, MISSING_FIELDS, 400)
        client = client_address(request)
        settings = self.services.settings
        credentials = accounts.Credentials.parse(username=username, password=password)
        try:
            async with unit_of_work(self.services, client_address=client) as uow:
                user = await accounts.log_in(uow, credentials)
        except InvalidInput:
            return await self._refuse(request, WRONG_CREDENTIALS, 400)
        except RateLimited as exc:
            log.warning("admin: login rate-limited (address=%s)", client)
            response = await self._refuse(request, exc.message, 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except AuthenticationFailed:
            log.info("admin: failed login for %r from %s", username, client)
            return await self._refuse(request, WRONG_CREDENTIALS, 400)
        if not is_staff(user):
            log.info("admin: non-staff account %r refused", user.username)
            return await self._refuse(request, NOT_STAFF, 403)
        request.session.clear()
        request.session[USER_KEY] = user.id
        request.session[FINGERPRINT_KEY] = _fingerprint(settings.secret_key, user.password)
        request.session[VERSION_KEY] = user.session_version
        log.info("admin: %r logged in from %s", user.username, client)
        return RedirectResponse(request.url_for("admin:index"), status_code=302)

    async def logout(self, request: Request) -> Response | bool:
        user_id = request.session.get(USER_KEY)
        request.session.clear()
        if isinstance(user_id, int):
            async with unit_of_work(self.services, client_address=client_address(request)) as uow:
                await accounts.end_sessions(uow, parse_id(user_id))
        return True

    async def authenticate(self, request: Request) -> Response | bool:
        user_id = request.session.get(USER_KEY)
        if not isinstance(user_id, int):
            return False
        async with self.services.sessions() as session:
            user = await session.get(User, parse_id(user_id))
        fingerprint = request.session.get(FINGERPRINT_KEY)
        version = request.session.get(VERSION_KEY)
        if (
            user is None
            or not is_staff(user)
            or not isinstance(version, int)
            or version != user.session_version
            or not isinstance(fingerprint, str)
            or not hmac.compare_digest(
                fingerprint, _fingerprint(self.services.settings.secret_key, user.password)
            )
        ):
            request.session.clear()
            return False
        setattr(request.state, ADMIN_USER, user)
        note_user(request.scope, user.id)
        return True
