"""``schema.graphql`` at the top of the repository is exactly ``citygraph export-schema``."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from citygraph.cli import main
from citygraph.graphql.schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql is out of date: run `make schema`"
        " (citygraph export-schema > schema.graphql)"
    )


def test_export_schema_command_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-schema"]) == 0
    assert capsys.readouterr().out == export_sdl()


def test_the_schema_names_what_the_readme_promises() -> None:
    schema = build_schema(export_sdl())
    for name in ("District", "Place", "PlaceImage", "User", "Decimal", "Upload"):
        assert name in schema.type_map, name
    assert "Profile" not in schema.type_map  # renamed to User
    query = schema.query_type
    mutation = schema.mutation_type
    assert query is not None
    assert mutation is not None
    assert "placesNear" in query.fields
    add_image = mutation.fields["addPlaceImage"]
    assert {name: str(arg.type) for name, arg in add_image.args.items()} == {
        "placeId": "Int!",
        "image": "Upload!",
    }
    assert str(add_image.type) == "PlaceImage"
