"""The generator reproduces the benchmark rig's rows exactly, for both scales."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from citygraph.demo import perfdata
from citygraph.models import PlaceType
from tests.perfdata.rig import DIGESTS, SAMPLE_DISTRICTS, SAMPLE_IMAGES, SAMPLE_PLACES, digest


def generated(
    scale: perfdata.Scale, seed: int = perfdata.DEFAULT_SEED
) -> dict[str, Sequence[tuple[object, ...]]]:
    places: list[perfdata.PlaceRow] = []
    images: list[perfdata.ImageRow] = []
    for batch in perfdata.place_batches(scale, seed):
        places += batch.places
        images += batch.images
    return {"districts": perfdata.districts(), "places": places, "images": images}


@pytest.mark.parametrize("scale", ["small", "large"])
def test_rows_equal_the_rigs(scale: perfdata.Scale) -> None:
    rows = generated(scale)
    assert tuple(len(rows[name]) for name in ("districts", "places", "images")) == (
        perfdata.row_counts(scale)
    )
    assert {name: digest(table) for name, table in rows.items()} == DIGESTS[scale]


def test_sample_rows() -> None:
    rows = generated("small")
    for number, expected in SAMPLE_PLACES.items():
        assert tuple(rows["places"][number - 1]) == expected
    for number, expected in SAMPLE_IMAGES.items():
        assert tuple(rows["images"][number - 1]) == expected
    for number, expected in SAMPLE_DISTRICTS.items():
        assert tuple(rows["districts"][number - 1]) == expected


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    assert generated("small") == generated("small")
    other = generated("small", seed=7)
    assert other["places"] != generated("small")["places"]
    assert other["districts"] == perfdata.districts()


def test_every_value_fits_the_schema() -> None:
    known = {member.value for member in PlaceType}
    for place in generated("small")["places"]:
        assert isinstance(place, perfdata.PlaceRow)
        assert place.type in known
        assert len(place.title) <= 200
        assert len(place.short_description) <= 300
        assert place.latitude.as_tuple().exponent == -6
        assert perfdata.LAT_MIN <= place.latitude <= perfdata.LAT_MAX
        assert perfdata.LON_MIN <= place.longitude <= perfdata.LON_MAX
    assert all(len(district.abbreviation) <= 10 for district in perfdata.districts())
