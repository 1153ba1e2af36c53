"""Fields that run one domain operation, declared instead of written out.

Most mutations are the same three steps: turn the GraphQL arguments into the operation's
input (a domain ``Form`` or a plain value), run the operation in the request's unit of work
(``context.write``, or ``context.read`` for checks that change nothing), and show its result
as a GraphQL type. :func:`operation_field` builds such a field from those three parts and the
argument list; the resolver it makes has an ordinary signature (``info`` and one annotated
parameter per argument), so strawberry derives the same schema as from a hand-written one.
Domain errors propagate to the schema's one error mapping, as from any resolver.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from citygraph.domain.parsers import Form, Id, parse_id
from citygraph.domain.unit import UnitOfWork
from citygraph.graphql.context import GraphQLInfo

R = TypeVar("R")
F = TypeVar("F", bound=Form)

#: What a field runs: the operation with its input bound, waiting for the unit of work.
Work = Callable[[UnitOfWork], Awaitable[R]]


def Arg(description: str) -> object:
    """A described GraphQL argument, for ``Annotated[type, Arg("...")]``."""
    return strawberry.argument(description=description)


@dataclass(frozen=True)
class Argument:
    """One GraphQL argument: its Python name (camel-cased by strawberry), words and type."""

    name: str
    description: str
    kind: type = str
    default: object = inspect.Parameter.empty

    def parameter(self) -> inspect.Parameter:
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[self.kind, Arg(self.description)],
            default=self.default,
        )


@dataclass(frozen=True)
class Result(Generic[R]):
    """How a field shows its operation's result: the GraphQL type and the conversion."""

    annotation: object
    show: Callable[[R], object]


def with_form(
    form: type[F], operation: Callable[[UnitOfWork, F], Awaitable[R]]
) -> Callable[..., Work[R]]:
    """The arguments parsed by ``form`` (before the unit of work opens), then ``operation``."""

    def bind(**raw: object) -> Work[R]:
        parsed = form.parse(partial=False, **raw)
        return lambda uow: operation(uow, parsed)

    return bind


def deleting(operation: Callable[[UnitOfWork, Id], Awaitable[None]]) -> Callable[..., Work[int]]:
    """``operation`` on the ``id`` argument (parsed in the unit of work); its result is that id,
    as given, for :data:`DELETED`."""

    def bind(id: int) -> Work[int]:
        async def run(uow: UnitOfWork) -> int:
            await operation(uow, parse_id(id))
            return id

        return run

    return bind


#: A deletion's result: the id it was given, or ``null`` and its error.
DELETED = Result[int](int | None, lambda id: id)


def operation_field(
    description: str,
    result: Result[R],
    work: Callable[..., Work[R]],
    *arguments: Argument,
    writes: bool = True,
) -> Any:
    """A mutation field: ``work(**arguments)`` run in the unit of work, shown by ``result``.

    ``writes=False`` runs it with ``context.read`` (no commit): a check that changes nothing.
    """

    async def resolve(info: GraphQLInfo, **values: object) -> object:
        bound = work(**values)
        run = info.context.write if writes else info.context.read
        return result.show(await run(bound))

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=GraphQLInfo
            ),
            *(argument.parameter() for argument in arguments),
        ],
        return_annotation=result.annotation,
    )
    return strawberry.mutation(resolver=resolve, description=description)
