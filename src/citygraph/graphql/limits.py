"""Protections on by default, sized from ``Settings``.

======================  =================================  =====================================
limit                   setting (env)                      when exceeded
======================  =================================  =====================================
query depth             ``graphql_max_depth`` (10)         validation error
aliases                 ``graphql_max_aliases`` (30)       validation error
tokens                  ``graphql_max_tokens`` (2000)      syntax error
body (every face)       ``max_body_bytes`` (1 MB)          HTTP 413 (``web.guard``)
multipart body          body limit + ``max_upload_bytes``  HTTP 413 (``web.guard``)
page size               100 (``first``)                    ``BAD_USER_INPUT``
batching                off                                HTTP 400
introspection           ``introspection_enabled``          validation error (production: off)
field suggestions       same switch as introspection       "Did you mean" hints removed
parser/validation cache 256 documents each (LRU)           least recently used evicted
======================  =================================  =====================================
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from citygraph.config import Settings

PARSER_CACHE_SIZE = 256
VALIDATION_CACHE_SIZE = 256


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (a fresh instance per request, as strawberry asks)."""
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=PARSER_CACHE_SIZE),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    # Last: it validates with every rule the extensions above added.
    extensions.append(lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE))
    return extensions
