"""``schema.graphql`` at the top of the repository is exactly ``citygraph export-schema``."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    sdl = export_sdl()
    for line in (
        "type District {",
        "type Place {",
        "type PlaceImage {",
        "scalar Decimal",
        "scalar Upload",
        "placesNear(",
        "addPlaceImage(placeId: Int!, image: Upload!): PlaceImage",
    ):
        assert line in sdl
