"""The README, copy-pasted, works: every code block in it is run against the demo data.

- ``graphql`` blocks: each query and mutation in them is sent to the app on SQLite and on
  PostgreSQL and must answer without errors and with data (no empty list, connection or null at
  the top); subscriptions are streams, parsed here and run by ``tests/live``;
- the GraphQL column of the REST ↔ GraphQL table: every cell is a valid document for the schema;
- ``sh`` blocks: run by bash (``set -euo pipefail``) from the checkout, in README order, against
  a live ``citygraph serve`` on 127.0.0.1 with the demo data (``127.0.0.1:8000`` and
  ``localhost:8000`` in the text are that server's address; prompts get a password on stdin);
- ``text`` blocks are not commands; a block may be skipped only with a
  ``<!-- readme-test: skip: <reason> -->`` comment right above it, and there are at most six (the
  subscription examples run until interrupted).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, parse, validate
from graphql.language import OperationDefinitionNode, OperationType
from markdown_it import MarkdownIt
from markdown_it.token import Token

from citygraph.demo.loader import load_demo
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.graphql.schema import export_sdl
from citygraph.services import Services
from tests.conftest import IN_CI
from tests.support.serve import citygraph_serve

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip:\s*(?P<reason>\S.*?)\s*-->", re.S)
LANGUAGES = {"sh", "graphql", "text"}
MAX_SKIPS = 6
PASSWORD = "Readme-Pass-2024!"


@dataclass(frozen=True)
class Block:
    language: str
    source: str
    line: int
    skip: str | None

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.language})"


@cache
def tokens() -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(README.read_text(encoding="utf-8"))


@cache
def blocks() -> list[Block]:
    found: list[Block] = []
    previous: Token | None = None
    for token in tokens():
        if token.type in ("fence", "code_block"):
            skip = (
                SKIP.search(previous.content)
                if previous and previous.type == "html_block"
                else None
            )
            line = token.map[0] + 1 if token.map else 0
            found.append(Block(token.info.strip(), token.content, line, skip and skip["reason"]))
        previous = token
    return found


def table_graphql() -> list[str]:
    """The GraphQL cells of the tables: inline code that starts like a GraphQL document."""
    cells: list[str] = []
    inside_table = False
    for token in tokens():
        if token.type in ("table_open", "table_close"):
            inside_table = token.type == "table_open"
        elif inside_table and token.type == "inline":
            for child in token.children or []:
                if child.type == "code_inline" and re.match(
                    r"(query|mutation)\b|\{", child.content
                ):
                    cells.append(child.content)
    return cells


def blocks_of(language: str) -> list[Block]:
    return [block for block in blocks() if block.language == language and block.skip is None]


def test_every_block_is_run_or_skipped_with_a_reason() -> None:
    assert blocks(), "no code blocks found"
    for block in blocks():
        assert block.language in LANGUAGES, f"{block}: say which language (sh, graphql or text)"
    skipped = [block for block in blocks() if block.skip is not None]
    assert len(skipped) <= MAX_SKIPS, [str(block) for block in skipped]
    assert blocks_of("sh") and blocks_of("graphql")


def operations(block: Block) -> list[str]:
    """Each operation of a block as its own document (a block may hold several)."""
    document = parse(block.source)
    texts: list[str] = []
    for definition in document.definitions:
        assert isinstance(definition, OperationDefinitionNode), f"{block}: only operations"
        assert definition.loc is not None
        if definition.operation == OperationType.SUBSCRIPTION:
            continue
        texts.append(block.source[definition.loc.start : definition.loc.end])
    return texts


def empty_parts(data: Any, path: str = "") -> list[str]:
    """Where an answer has nothing: null, an empty list, a connection without edges."""
    if data is None or data == []:
        return [path or "data"]
    if isinstance(data, dict):
        if "edges" in data and not data["edges"]:
            return [f"{path}.edges"]
        return [part for key, value in data.items() for part in empty_parts(value, f"{path}.{key}")]
    if isinstance(data, list):
        return empty_parts(data[0], f"{path}[0]")
    return []


@pytest.fixture
async def demo(services: Services) -> Services:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await load_demo(uow)
    return services


async def test_graphql_blocks_answer_with_data(demo: Services, client: httpx.AsyncClient) -> None:
    ran = 0
    for block in blocks_of("graphql"):
        for operation in operations(block):
            response = await client.post("/graphql", json={"query": operation})
            body = response.json()
            assert response.status_code == 200, (str(block), operation, body)
            assert "errors" not in body, (str(block), operation, body["errors"])
            assert empty_parts(body["data"]) == [], (str(block), operation, body["data"])
            ran += 1
    assert ran >= 5


def test_table_cells_are_valid_graphql() -> None:
    schema = build_schema(export_sdl())
    cells = table_graphql()
    assert len(cells) >= 20
    for cell in cells:
        problems = validate(schema, parse(cell))
        assert problems == [], (cell, [problem.message for problem in problems])


def test_shell_blocks_run_against_a_live_server(tmp_path: Path) -> None:
    venv_citygraph = REPO / ".venv" / "bin" / "citygraph"
    if not venv_citygraph.exists():
        message = f"{venv_citygraph} is missing: run `make install-test` in the checkout"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'readme.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
        CITYGRAPH_BCRYPT_ROUNDS="4",
    )
    with citygraph_serve(env, tmp_path, "--migrate", "--load-demo") as served:
        for block in blocks_of("sh"):
            script = re.sub(
                r"(127\.0\.0\.1|localhost):8000", f"127.0.0.1:{served.port}", block.source
            )
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=REPO,
                env=env,
                input=f"{PASSWORD}\n{PASSWORD}\n",
                capture_output=True,
                text=True,
                timeout=120,
                start_new_session=True,  # no terminal: password prompts read stdin
                check=False,
            )
            assert done.returncode == 0, (str(block), script, done.stdout, done.stderr)
            assert done.stdout.strip(), (str(block), "printed nothing")
