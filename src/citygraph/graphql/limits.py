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
query cost (``cost``)   ``graphql_max_cost`` (100,000)     ``QUERY_TOO_COSTLY`` (``cost``,
                                                           ``maxCost``), before execution
response body           ``graphql_max_response_bytes``     ``RESPONSE_TOO_LARGE`` (``http``)
                        (10 MB)
batching                off                                HTTP 400
introspection           ``introspection_enabled``          validation error (production: off)
field suggestions       same switch as introspection       "Did you mean" hints removed
parser/validation cache 256 documents each (LRU)           least recently used evicted
======================  =================================  =====================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import FragmentDefinitionNode, GraphQLError, get_operation_ast
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from citygraph.config import Settings
from citygraph.graphql.cost import operation_cost, too_costly

PARSER_CACHE_SIZE = 256
VALIDATION_CACHE_SIZE = 256


class CostLimiter(SchemaExtension):
    """Refuses, after validation and before execution, a query whose estimated cost (with
    this request's variables) exceeds the limit. Validation rules cannot see variables, and
    the validation cache must stay per document, so this comes after it in the list: strawberry
    runs the hooks' first halves in order and decides on the errors before the second halves."""

    def __init__(self, *, max_cost: int, list_size: int) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.list_size = list_size

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = validate_document(  # no validation cache ran
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        if not context.pre_execution_errors:
            error = self.check(context)
            if error is not None:
                # A new list: the validation cache's list must stay as it is.
                context.pre_execution_errors = [error]
        yield

    def check(self, context: ExecutionContext) -> GraphQLError | None:
        document = context.graphql_document
        operation = (
            None if document is None else get_operation_ast(document, context.operation_name)
        )
        if document is None or operation is None:
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        variables = context.variables if isinstance(context.variables, dict) else None
        cost = operation_cost(
            context.schema._schema, operation, fragments, variables, list_size=self.list_size
        )
        return too_costly(cost, self.max_cost) if cost > self.max_cost else None


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
    # It validates with every rule the extensions above added.
    extensions.append(lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE))
    # Last: it costs what validation passed.
    extensions.append(
        lambda: CostLimiter(
            max_cost=settings.graphql_max_cost, list_size=settings.graphql_list_size
        )
    )
    return extensions
