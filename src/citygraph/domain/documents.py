"""Persisted documents: GraphQL documents known by an id, so that clients send the id alone.

Two sources, each with its rules here (the GraphQL face only speaks the protocols):

- registered (Apollo's automatic persisted queries): a client sends a document with its
  SHA-256 once; the hash must be the document's (:class:`UnusableDocument` otherwise). The
  table holds at most ``MAX_STORED`` documents of at most ``MAX_DOCUMENT_CHARS`` characters
  (longer ones run but are not kept), the oldest leaving first: a client whose hash is gone
  is told so and registers it again, as the protocol expects, so the cap costs a round trip,
  never an answer;
- trusted (a manifest the front-end build produced, :func:`load_manifest`): GraphQL Code
  Generator's client preset (``persisted-documents.json``) and Relay (``persisted_queries.json``)
  both write ``{"<id>": "<document>"}``; Apollo's ``persisted-query-manifest.json`` is read too.
  In that mode nothing else runs and nothing is registered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.config import ConfigurationError
from citygraph.models import PersistedQuery, utcnow

TABLE: sa.Table = PersistedQuery.__table__  # type: ignore[attr-defined]
MAX_STORED: Final = 10_000
#: Longer documents still run; they are not kept (at most MAX_STORED x this many characters).
MAX_DOCUMENT_CHARS: Final = 10_000
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
#: ``sha256:<hex>`` (the GraphQL-over-HTTP persisted documents proposal) names ``<hex>``.
_PREFIX: Final = re.compile(r"^(sha256|sha1|md5):", re.IGNORECASE)


class UnusableDocument(ValueError):
    """A registration the store refuses (a malformed hash, the hash of another document)."""


class ManifestError(ConfigurationError):
    """A trusted-documents manifest that cannot be used: the server must not start with it."""


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def plain_id(document_id: str) -> str:
    """The id without its ``algorithm:`` prefix, so ``sha256:ab…`` and ``ab…`` are one id."""
    return _PREFIX.sub("", document_id.strip())


def check_registration(sha256: str, document: str) -> str:
    """The hash (lower case) under which ``document`` may be registered."""
    digest = sha256.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise UnusableDocument("sha256Hash must be 64 hexadecimal digits")
    if sha256_of(document) != digest:
        raise UnusableDocument("provided sha does not match query")
    return digest


async def find_registered(engine: AsyncEngine, sha256: str) -> str | None:
    digest = sha256.strip().lower()
    if not _SHA256.fullmatch(digest):
        return None
    statement = sa.select(TABLE.c.document).where(TABLE.c.sha256 == digest)
    async with engine.connect() as connection:
        document: str | None = (await connection.execute(statement)).scalar_one_or_none()
    return document


async def register(
    engine: AsyncEngine, sha256: str, document: str, *, keep: int = MAX_STORED
) -> bool:
    """Keep ``document`` under its checked hash (unless it is too long to keep); then drop the
    oldest beyond ``keep``. Whether it is kept."""
    digest = check_registration(sha256, document)
    if len(document) > MAX_DOCUMENT_CHARS:
        return False
    beyond_cap = (
        sa.select(TABLE.c.sha256).order_by(TABLE.c.created_at.desc(), TABLE.c.sha256).offset(keep)
    )
    try:
        async with engine.begin() as connection:
            await connection.execute(
                TABLE.insert().values(sha256=digest, document=document, created_at=utcnow())
            )
            await connection.execute(TABLE.delete().where(TABLE.c.sha256.in_(beyond_cap)))
    except IntegrityError:
        pass  # registered meanwhile by another request: the same document, by its hash
    return True


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest's documents by plain id (see the module docstring for the formats)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(f"cannot read the trusted documents manifest {path}: {exc}") from exc
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list) or not all(
            isinstance(op, dict)
            and isinstance(op.get("id"), str)
            and isinstance(op.get("body"), str)
            for op in operations
        ):
            raise ManifestError(f"{path}: every operation needs a string id and body")
        data = {op["id"]: op["body"] for op in operations}
    if not isinstance(data, Mapping) or not data:
        raise ManifestError(f"{path}: expected a non-empty JSON object of id -> document")
    documents: dict[str, str] = {}
    for key, document in data.items():
        if not isinstance(document, str) or not document.strip():
            raise ManifestError(f"{path}: the document of {key!r} is not a GraphQL string")
        documents[plain_id(key)] = document
    return documents
