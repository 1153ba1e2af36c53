"""GraphQL response encoding: stdlib ``json`` (strawberry's default) against orjson (ours).

Run: ``.venv/bin/python -m tests.benchmarks.json_encoding``. Encodes a response shaped like
``districts { places(first: 100) { edges { node { … images { image } } } } }`` over the demo data.
"""

from __future__ import annotations

import json
import timeit

import orjson

from citygraph.demo.data import DISTRICTS


def response() -> dict[str, object]:
    districts = []
    for index, district in enumerate(DISTRICTS, start=1):
        edges = [
            {
                "node": {
                    "id": index * 100 + n,
                    "title": place.title,
                    "shortDescription": place.short_description,
                    "fullDescription": place.full_description,
                    "latitude": str(place.latitude),
                    "longitude": str(place.longitude),
                    "type": place.type.upper(),
                    "images": [{"image": f"http://127.0.0.1:8000/media/places/{n:032x}.png"}],
                }
            }
            for n, place in enumerate(district.places)
        ]
        districts.append({"title": district.title, "places": {"edges": edges}})
    return {"data": {"districts": districts}}


def main() -> None:
    data = response()
    rounds = 2000
    stdlib = min(
        timeit.repeat(lambda: json.dumps(data, separators=(",", ":")), number=rounds, repeat=5)
    )
    fast = min(timeit.repeat(lambda: orjson.dumps(data), number=rounds, repeat=5))
    size_stdlib = len(json.dumps(data, separators=(",", ":")).encode())
    size_fast = len(orjson.dumps(data))
    print(f"{'encoder':<10}{'µs/response':>14}{'bytes':>10}")
    print(f"{'json':<10}{stdlib / rounds * 1e6:>14.1f}{size_stdlib:>10}")
    print(f"{'orjson':<10}{fast / rounds * 1e6:>14.1f}{size_fast:>10}")
    print(f"speed-up {stdlib / fast:.1f}x, size {size_fast / size_stdlib:.2f} of stdlib")


if __name__ == "__main__":
    main()
