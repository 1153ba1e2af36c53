"""The pages the links in account e-mails open: activation, password reset, username reset.

They sit at the default link paths (``CITYGRAPH_ACTIVATION_URL`` and the two reset templates,
see ``citygraph.config``); a deployment with its own frontend points the templates there
instead. Each page is static HTML carrying the link's ``uid`` and ``token`` as data attributes;
its script (``citygraph-account.js``, a served file under the strict page CSP) calls the
GraphQL API (``activateAccount``, ``confirmPasswordReset``, ``confirmUsernameReset``) and says
what happened, so the rules stay in the domain layer and the page holds none of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from citygraph.web import assets, headers
from citygraph.web.home import SITE_FILES, STATIC_PATH

_HEADERS = {**headers.page_headers(), "Cache-Control": "no-store"}


@dataclass(frozen=True)
class PageForm:
    """The one field a page asks for before it acts (a new password, a new username)."""

    label: str
    type: str
    autocomplete: str
    button: str


@dataclass(frozen=True)
class AccountPage:
    """One link's page: its path, what the script does, and the words a person reads."""

    path: str
    action: str
    title: str
    intro: str
    form: PageForm | None = None


PAGES = (
    AccountPage(
        path="/activate/{uid}/{token}",
        action="activate",
        title="Активация аккаунта · Account activation",
        intro="Активируем аккаунт… · Activating your account…",
    ),
    AccountPage(
        path="/password/reset/confirm/{uid}/{token}",
        action="password-reset",
        title="Новый пароль · New password",
        intro="Задайте новый пароль. · Choose a new password.",
        form=PageForm(
            "Новый пароль · New password",
            "password",
            "new-password",
            "Сохранить пароль · Save password",
        ),
    ),
    AccountPage(
        path="/username/reset/confirm/{uid}/{token}",
        action="username-reset",
        title="Новое имя пользователя · New username",
        intro="Выберите новое имя пользователя. · Choose a new username.",
        form=PageForm(
            "Новое имя · New username", "text", "username", "Сохранить имя · Save username"
        ),
    ),
)

_FORM = """<form id="account-form">
<label for="account-value">{label}</label>
<input id="account-value" name="value" type="{type}" autocomplete="{autocomplete}" required>
<button type="submit">{button}</button>
</form>
"""

_PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{title} · citygraph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" type="image/svg+xml" href="{static}/favicon.svg?v={version}">
<link rel="stylesheet" href="{static}/citygraph-home.css?v={version}">
<script src="{static}/citygraph-account.js?v={version}" defer></script>
</head><body>
<h1>{title}</h1>
<main id="account" data-action="{action}" data-uid="{uid}" data-token="{token}">
<p id="account-intro">{intro}</p>
{form}<p id="account-status" role="status" aria-live="polite"></p>
</main>
<p><a href="/">citygraph</a></p>
</body></html>
"""


def render(page: AccountPage, uid: str, token: str) -> str:
    form = ""
    if page.form is not None:
        form = _FORM.format(
            label=page.form.label,
            type=page.form.type,
            autocomplete=page.form.autocomplete,
            button=page.form.button,
        )
    return _PAGE.format(
        title=page.title,
        static=STATIC_PATH,
        version=assets.version_token(SITE_FILES),
        action=page.action,
        uid=escape(uid),
        token=escape(token),
        intro=page.intro,
        form=form,
    )


def _endpoint(page: AccountPage) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def show(request: Request) -> HTMLResponse:
        params = request.path_params
        return HTMLResponse(render(page, params["uid"], params["token"]), headers=_HEADERS)

    return show


routes: list[BaseRoute] = [
    Route(page.path, _endpoint(page), methods=["GET", "HEAD"]) for page in PAGES
]
