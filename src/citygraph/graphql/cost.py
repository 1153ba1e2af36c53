"""The cost of a query: an estimate of the fields its response holds, before anything runs.

Depth, alias and token limits each allow queries whose answers are enormous: 30 aliases of
``districts { places(first: 100) { edges { node { district { places(first: 100) ... }}}}}}``
pass all three and ask for millions of objects. The cost bounds the product instead:

- every selected field counts 1, once per object it is selected on;
- a list multiplies what is below it by its size: ``first`` where the field takes one (its
  value, its variable's value, or its default; at most the largest page, which the domain
  enforces anyway), the connection's ``first`` for the ``edges`` right below it, and
  ``list_size`` for lists without a page (``districts``, ``images``, ``users``);
- each term of an input object or list argument (``filter``, ``orderBy``; literal or from the
  variables) counts 1: a filter of 100,000 terms in the variables is as costly as its SQL;
- ``@skip``/``@include`` are ignored (the estimate is an upper bound), introspection's meta
  fields count 1 each (the schema bounds them; ``CITYGRAPH_INTROSPECTION`` switches them off).

Both read paths use it: the executor's as a check after validation (``limits``), the compiled
one before compiling (``reads``), so a document that compiled with small variables cannot be
replayed with large ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
#: The page size argument, and the largest page the domain accepts (``domain.pagination``).
PAGE_ARGUMENT = "first"
MAX_PAGE = 100
META_FIELDS = frozenset({"__typename", "__schema", "__type"})


def too_costly(cost: int, max_cost: int) -> GraphQLError:
    """The request error: the estimate and the limit, so a client can shrink its query."""
    return GraphQLError(
        f"The query's estimated cost {cost} exceeds the limit of {max_cost}: "
        "ask for smaller pages, fewer aliases or less nesting.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": max_cost},
    )


def _unwrap(output: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    """The named type under non-null and list wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(output, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(output, GraphQLList)
        output = output.of_type
    return output, is_list


def _input_terms(value: Any) -> int:
    """Terms of a plain (variables) value: each object key and list item, nested (no recursion:
    the variables' nesting is only bounded by the JSON parser)."""
    terms, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            terms += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            terms += len(item)
            stack.extend(item)
    return terms


@dataclass
class _Estimator:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    defaults: Mapping[str, ValueNode | None]
    list_size: int
    _memo: dict[tuple[str, str, int | None], int] = field(default_factory=dict)

    def value_terms(self, node: ValueNode) -> int:
        terms, stack = 0, [node]
        while stack:
            item = stack.pop()
            if isinstance(item, ObjectValueNode):
                terms += len(item.fields)
                stack.extend(f.value for f in item.fields)
            elif isinstance(item, ListValueNode):
                terms += len(item.values)
                stack.extend(item.values)
            elif isinstance(item, VariableNode):
                value = self.variable(item.name.value)
                if isinstance(value, ValueNode):
                    stack.append(value)
                else:
                    terms += _input_terms(value)
        return terms

    def variable(self, name: str) -> Any:
        if name in self.variables:
            return self.variables[name]
        return self.defaults.get(name)  # the default's literal, or None

    def page(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """The field's ``first``, clamped to 0..MAX_PAGE (None: it takes no page size)."""
        if PAGE_ARGUMENT not in definition.args:
            return None
        raw: Any = definition.args[PAGE_ARGUMENT].default_value
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                raw = self.variable(value.name.value)
                if isinstance(raw, IntValueNode):
                    raw = raw.value
            elif isinstance(value, IntValueNode):
                raw = value.value
            else:
                raw = None
        try:
            size = int(raw)
        except (TypeError, ValueError):
            return MAX_PAGE  # invalid: the executor will say so; assume the worst meanwhile
        return max(0, min(size, MAX_PAGE))

    def field_cost(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, node: FieldNode, page: int | None
    ) -> int:
        name = node.name.value
        if name in META_FIELDS or name not in parent.fields:
            return 1
        definition = parent.fields[name]
        cost = 1 + sum(
            self.value_terms(argument.value)
            for argument in node.arguments or ()
            if argument.name.value != PAGE_ARGUMENT
        )
        if node.selection_set is None:
            return cost
        named, is_list = _unwrap(definition.type)
        first = self.page(definition, node)
        if is_list:
            size = first if first is not None else page if page is not None else self.list_size
            return cost + size * self.selection_cost(node.selection_set, named, None)
        return cost + self.selection_cost(node.selection_set, named, first)

    def selection_cost(self, selections: SelectionSetNode, parent: Any, page: int | None) -> int:
        """The cost of one object's selections (``page``: its connection's ``first``)."""
        cost = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    cost += self.field_cost(parent, selection, page)
                else:
                    cost += 1
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                cost += self.selection_cost(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self.fragment_cost(selection.name.value, page)
        return cost

    def fragment_cost(self, name: str, page: int | None) -> int:
        fragment = self.fragments.get(name)
        if fragment is None:
            return 0
        key = (name, fragment.type_condition.name.value, page)
        if key not in self._memo:
            self._memo[key] = 0  # a cycle (validation refuses them) adds nothing
            target = self.schema.get_type(fragment.type_condition.name.value)
            self._memo[key] = self.selection_cost(fragment.selection_set, target, page)
        return self._memo[key]


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    *,
    list_size: int,
) -> int:
    """The estimated cost of ``operation`` run with ``variables`` (a validated document)."""
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
    }
    estimator = _Estimator(schema, fragments, dict(variables or {}), defaults, list_size=list_size)
    return estimator.selection_cost(operation.selection_set, root, None)
