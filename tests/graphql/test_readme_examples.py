"""The README's GraphQL examples return data on the demo set (``citygraph load-demo``), on
SQLite and PostgreSQL: every query of its ``graphql`` block and the persisted-query example
answer without errors, and no list in their answers is empty."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from citygraph.demo.loader import load_demo
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services

README = Path(__file__).resolve().parents[2] / "README.md"


def documents_of(block: str) -> list[str]:
    """The top-level ``{ … }`` documents of a block of several."""
    found, depth, current = [], 0, ""
    for char in block:
        depth += char == "{"
        if depth:
            current += char
        if char == "}":
            depth -= 1
            if depth == 0:
                found.append(current)
                current = ""
    return found


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## GraphQL (`/graphql`)") : text.index("## REST compatibility")]
    block = re.search(r"```graphql\n(.*?)```", section, re.DOTALL)
    assert block is not None
    queries = documents_of(block.group(1))
    queries += re.findall(r"^  Q='(.*)'$", section, re.MULTILINE)  # the persisted-query example
    queries += re.findall(r"--data-urlencode 'query=(.*?)'", section)
    return queries


def empty_lists(value: Any, path: str = "data") -> list[str]:
    if isinstance(value, list):
        own = [path] if not value else []
        return own + [p for i, item in enumerate(value) for p in empty_lists(item, f"{path}.{i}")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in empty_lists(item, f"{path}.{key}")]
    return []


def test_the_readme_has_examples() -> None:
    assert len(examples()) >= 8


@pytest.fixture
async def demo(services: Services) -> Services:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await load_demo(uow)
    return services


@pytest.mark.usefixtures("demo")
async def test_every_example_returns_data(client: httpx.AsyncClient) -> None:
    for query in examples():
        answer = (await client.post("/graphql", json={"query": query})).json()
        assert "errors" not in answer, (query, answer)
        assert not empty_lists(answer["data"]), (query, empty_lists(answer["data"]))
