"""What an HTTP request can reach of the app: its services and the client's address."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from citygraph.services import Services


def get_services(conn: HTTPConnection) -> Services:
    services: Services = conn.app.state.services
    return services


def client_address(conn: HTTPConnection) -> str | None:
    """The caller's address (uvicorn puts the proxy-forwarded one here when trusted)."""
    return conn.client.host if conn.client else None
