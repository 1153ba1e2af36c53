"""Great-circle distances and the latitude/longitude box that bounds a circle."""

from __future__ import annotations

import math
from dataclasses import dataclass

from citygraph.db import sqlite_function

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


@sqlite_function("cg_haversine", 4)
def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees.

    Written operation for operation like ``distance_sql``'s PostgreSQL expression (and SQLite
    calls this very function), so a distance is the same double whichever computes it.
    """
    phi1, phi2 = lat1 * (math.pi / 180.0), lat2 * (math.pi / 180.0)
    dphi = phi2 - phi1
    dlambda = (lon2 - lon1) * (math.pi / 180.0)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_sql(dialect: str, lat: str, lon: str, lat0: str, lon0: str) -> str:
    """SQL for the great-circle distance in metres from (``lat0``, ``lon0``) to (``lat``,
    ``lon``): the point given first, as ``haversine_m(lat0, lon0, lat, lon)``."""
    if dialect == "sqlite":
        return f"cg_haversine({lat0}, {lon0}, {lat}, {lon})"
    rad = "(pi() / 180.0)"
    phi1, phi2 = f"(({lat0})::float8 * {rad})", f"(({lat})::float8 * {rad})"
    dphi = f"({phi2} - {phi1})"
    dlambda = f"((({lon})::float8 - ({lon0})::float8) * {rad})"
    a = f"(power(sin({dphi} / 2), 2) + cos({phi1}) * cos({phi2}) * power(sin({dlambda} / 2), 2))"
    return f"(2 * {EARTH_RADIUS_M!r}::float8 * asin(least(1.0::float8, sqrt({a}))))"


@dataclass(frozen=True)
class BoundingBox:
    """Every point within the radius lies inside; longitude ranges never wrap (see ``ranges``)."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(lat: float, lon: float, radius_m: float) -> BoundingBox:
    """A box containing the circle of ``radius_m`` around (lat, lon), split at the antimeridian.

    Near a pole (the circle reaches it) the box spans every longitude.
    """
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ((-180.0, 180.0),))
    # The widest longitude extent of a small circle (exact, not the equator approximation).
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    west, east = lon - dlon, lon + dlon
    if dlon >= 180:
        ranges: tuple[tuple[float, float], ...] = ((-180.0, 180.0),)
    elif west < -180:
        ranges = ((west + 360, 180.0), (-180.0, east))
    elif east > 180:
        ranges = ((west, 180.0), (-180.0, east - 360))
    else:
        ranges = ((west, east),)
    return BoundingBox(min_lat, max_lat, ranges)
