"""What an HTTP request can reach of the app: its services and the client's address."""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.requests import HTTPConnection
from starlette.types import Scope

from citygraph.config import Settings
from citygraph.services import Services


def get_services(conn: HTTPConnection) -> Services:
    services: Services = conn.app.state.services
    return services


def client_address(conn: HTTPConnection) -> str | None:
    """The caller's address (uvicorn puts the proxy-forwarded one here when trusted)."""
    return conn.client.host if conn.client else None


def base_url_of(scope: Scope) -> str:
    """The base absolute URLs (of images) are built from.

    ``CITYGRAPH_PUBLIC_URL`` when set. Otherwise the request's own scheme and host, as DRF
    builds them — except in production with any host allowed, where the host is the address
    the server listens on: a ``Host`` header is the client's to choose, and responses are
    cached for everyone (with ``CITYGRAPH_ALLOWED_HOSTS`` set, the host is one of those).
    """
    settings = scope["app"].state.services.settings
    if settings.public_url:
        return str(settings.public_url)
    return _served_at(scope, settings, scope.get("root_path", ""))


def site_url_of(scope: Scope, settings: Settings) -> str:
    """The site's root URL (the base of links in e-mails), chosen as ``base_url_of`` chooses,
    but the application's root even inside a mounted face (the admin at ``/admin``, whose
    ``scope["app"]`` is its own)."""
    if settings.public_url:
        return str(settings.public_url)
    return _served_at(scope, settings, scope.get("app_root_path", scope.get("root_path", "")))


def _served_at(scope: Scope, settings: Settings, root_path: str) -> str:
    if settings.is_production and settings.allowed_hosts == ["*"] and scope.get("server"):
        host, port = scope["server"]
        scheme = scope.get("scheme", "http")
        default = {"http": 80, "https": 443}.get(scheme)
        netloc = host if port in (None, default) else f"{host}:{port}"
        return f"{scheme}://{netloc}{root_path}/"
    return str(URL(scope=scope).replace(path=root_path + "/", query=""))
