"""graphql-schema-linter (``make lint``) finds nothing in the schema the code builds, and would
find a description that went missing."""

from __future__ import annotations

import re
from pathlib import Path

from citygraph.graphql.schema import export_sdl
from tests.support.node import NODE_MODULES, REPO, require_node, run

LINTER = NODE_MODULES / ".bin" / "graphql-schema-linter"


def lint(sdl: str, tmp_path: Path) -> tuple[int, str]:
    require_node("graphql-schema-linter")
    path = tmp_path / "schema.graphql"
    path.write_text(sdl, encoding="utf-8")
    # The repository's configuration (its rules), on this file.
    done = run([str(LINTER), "--config-directory", str(REPO), str(path)])
    return done.returncode, done.stdout + done.stderr


def test_the_schema_has_no_lint_errors(tmp_path: Path) -> None:
    code, output = lint(export_sdl(), tmp_path)
    assert code == 0, output
    assert "0 errors detected" in output


def test_a_missing_description_is_an_error(tmp_path: Path) -> None:
    sdl = export_sdl()
    undescribed = re.sub(r'  """A museum or gallery[^"]*"""\n', "", sdl)
    assert undescribed != sdl
    code, output = lint(undescribed, tmp_path)
    assert code == 1
    assert "PlaceType.MUSEUM` is missing a description" in output
    assert "enum-values-have-descriptions" in output
