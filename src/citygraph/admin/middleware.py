"""Request guards for the admin: cross-site request forgery and response headers.

**CSRF.** The session cookie is ``SameSite=Strict``, so a browser does not send it with a
request another site starts. As a second, independent layer every state-changing admin request
must show that it comes from an admin page of this very origin:

- unsafe methods (``POST``, ``PUT``, ``PATCH``, ``DELETE``) and sqladmin's custom actions, which
  are plain ``GET`` links (``/admin/<view>/action/<name>``);
- accepted when ``Sec-Fetch-Site`` is ``same-origin``, or, for clients that do not send it, when
  ``Origin`` (or failing that ``Referer``) names this origin (the request's own scheme and host,
  or ``CITYGRAPH_PUBLIC_URL``). A request that shows none of them is refused.

Refusals are ``403`` with a short text body and are logged.

**Headers.** Admin pages carry the site's strict Content-Security-Policy (no inline code, nothing
from elsewhere), may not be framed (clickjacking would turn the action buttons against their
user), are not stored by caches, and send the ``Referer`` only to this origin.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.web.headers import SELF, page_headers

log = logging.getLogger("citygraph.admin")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ACTION_PATH = re.compile(r"^/[^/]+/action/[^/]+/?$")
REFUSED = "Cross-site request refused: admin changes must come from the admin's own pages."


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class SameOriginMiddleware:
    """Refuse state-changing requests that do not come from this origin (see module doc)."""

    def __init__(self, app: ASGIApp, *, public_url: str | None = None) -> None:
        self.app = app
        self.public_origin = _origin_of(public_url) if public_url else None

    def _needs_check(self, scope: Scope) -> bool:
        if scope["method"] in UNSAFE_METHODS:
            return True
        # Inside the mounted admin app ``path`` still holds the full path; strip the mount.
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return bool(_ACTION_PATH.match(path))

    def _allowed(self, scope: Scope, headers: Headers) -> bool:
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site == "same-origin"
        claimed = headers.get("origin")
        if claimed is None or claimed == "null":
            referer = headers.get("referer")
            claimed = _origin_of(referer) if referer else None
        if not claimed:
            return False
        claimed = claimed.lower()
        host = headers.get("host", "").lower()
        own = f"{scope.get('scheme', 'http')}://{host}"
        return claimed == own or (self.public_origin is not None and claimed == self.public_origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._needs_check(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not self._allowed(scope, headers):
            log.warning(
                "admin: refused cross-site %s %s (origin=%r, referer=%r, sec-fetch-site=%r)",
                scope["method"],
                scope["path"],
                headers.get("origin"),
                headers.get("referer"),
                headers.get("sec-fetch-site"),
            )
            response = PlainTextResponse(REFUSED, status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


#: The site's strict page policy (``web.headers``): scripts and styles only from this server,
#: no inline code (citygraph's templates replace sqladmin's inline bits with served files).
#: Tabler's stylesheets draw icons from ``data:`` URIs; upload previews are ``blob:`` images.
SECURITY_HEADERS = page_headers(
    img_src=(SELF, "data:", "blob:"),
    font_src=(SELF, "data:"),
)


class SecurityHeadersMiddleware:
    """Add the admin's response headers; pages (not the static assets) are ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = "/statics/" in scope["path"] or "/admin/assets/" in scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
