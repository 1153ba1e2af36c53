"""Persisted operations on ``/graphql``: Apollo's automatic persisted queries, trusted documents.

A request names its document by id: ``extensions.persistedQuery.sha256Hash`` (Apollo, version
1), ``documentId`` (the GraphQL-over-HTTP persisted documents proposal, as GraphQL Code
Generator's client preset sends it) or ``doc_id`` (Relay's examples). GET works as well as
POST, so browsers and CDNs can cache an answer by its URL.

Automatic persisted queries (the default):

- an id alone, known (the in-process LRU, then the table every worker shares) -> it runs;
- an id alone, unknown -> 200 with ``PERSISTED_QUERY_NOT_FOUND``: Apollo's ``PersistedQueryLink``
  then sends the document with its hash;
- an id with its document -> the hash must be the document's (400 otherwise); it runs, and once
  it ran without request errors it is registered for everybody (``domain.documents``).

Trusted documents (``CITYGRAPH_TRUSTED_DOCUMENTS``): only the manifest's ids run; a document
text without a known id is refused (400), and nothing is registered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import GraphQLError, build_schema, parse, validate
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.config import Settings
from citygraph.domain import documents
from citygraph.graphql.reads import LRU

log = logging.getLogger("citygraph.graphql")

NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE: Final = "PersistedQueryNotFound"
TRUSTED_ONLY: Final = "PERSISTED_QUERY_REQUIRED"
LRU_SIZE: Final = 1024


class DocumentRefused(Exception):
    """The request's persisted-document part cannot be served: status, message and code."""

    def __init__(self, status_code: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Resolved:
    """The document to run, and the hash to register it under once it ran well (or None)."""

    query: str | None
    register: str | None = None


def requested_id(extensions: Mapping[str, Any] | None, document_id: str | None) -> str | None:
    """The id the request names (``extensions.persistedQuery`` first), or None."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is not None:
        if not isinstance(persisted, dict):
            raise DocumentRefused(400, "extensions.persistedQuery must be an object")
        if persisted.get("version") != 1:
            raise DocumentRefused(
                400, "Unsupported persisted query version", "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str):
            raise DocumentRefused(400, "extensions.persistedQuery.sha256Hash must be a string")
        return digest
    return document_id


def load_trusted(settings: Settings, sdl: str) -> dict[str, str] | None:
    """The manifest of ``CITYGRAPH_TRUSTED_DOCUMENTS`` (None without), every document of which
    must validate against the schema (``sdl``): a front end built for another schema must not
    start (``ManifestError``, a configuration error)."""
    path = settings.trusted_documents
    if path is None:
        return None
    manifest = documents.load_manifest(path)
    schema = build_schema(sdl)
    for document_id, text in manifest.items():
        try:
            problems = validate(schema, parse(text))
        except GraphQLError as exc:
            problems = [exc]
        if problems:
            raise documents.ManifestError(
                f"{path}: the document {document_id!r} is not valid for this schema: "
                f"{problems[0].message}"
            )
    return manifest


class PersistedDocuments:
    def __init__(self, engine: AsyncEngine, trusted: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.trusted = dict(trusted) if trusted is not None else None
        self._known: LRU[str, str] = LRU(LRU_SIZE)

    @classmethod
    def from_settings(cls, settings: Settings, engine: AsyncEngine, sdl: str) -> PersistedDocuments:
        return cls(engine, load_trusted(settings, sdl))

    async def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None, document_id: str | None
    ) -> Resolved:
        wanted = requested_id(extensions, document_id)
        if self.trusted is not None:
            return Resolved(self._trusted(query, wanted))
        if wanted is None:
            return Resolved(query)
        if query is not None:
            try:
                return Resolved(query, documents.check_registration(wanted, query))
            except documents.UnusableDocument as exc:
                raise DocumentRefused(400, str(exc)) from exc
        digest = documents.plain_id(wanted).lower()
        found = self._known.get(digest)
        if found is None:
            found = await documents.find_registered(self.engine, digest)
            if found is None:
                raise DocumentRefused(200, NOT_FOUND_MESSAGE, NOT_FOUND)
            self._known.put(digest, found)
        return Resolved(found)

    def _trusted(self, query: str | None, wanted: str | None) -> str:
        assert self.trusted is not None
        if wanted is None:
            raise DocumentRefused(
                400,
                "This server runs only its trusted documents: send the document's id "
                "(documentId or extensions.persistedQuery.sha256Hash), not its text.",
                TRUSTED_ONLY,
            )
        found = self.trusted.get(documents.plain_id(wanted))
        if found is None:
            raise DocumentRefused(
                400, f"No trusted document has the id {wanted!r}.", "PERSISTED_QUERY_NOT_FOUND"
            )
        if query is not None and query != found:
            raise DocumentRefused(400, "The query is not the trusted document of its id.")
        return found

    async def register(self, digest: str, query: str) -> None:
        """Keep a document that ran well under its (checked) hash, for every worker."""
        if digest in self._known:
            return
        try:
            kept = await documents.register(self.engine, digest, query)
        except SQLAlchemyError:  # the answer is ready: the client registers again next time
            log.warning("could not register persisted query %s", digest, exc_info=True)
            return
        if kept:
            self._known.put(digest, query)
