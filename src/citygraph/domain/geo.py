"""Great-circle distances and the latitude/longitude box that bounds a circle."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


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
