"""The module graph has no import cycles, and the layers hold (import-linter checks those)."""

from __future__ import annotations

import grimp


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of modules that import each other (directly or not)."""
    modules = sorted(graph.modules)
    index = {name: i for i, name in enumerate(modules)}
    edges = {
        name: sorted(graph.find_modules_directly_imported_by(name) & set(modules))
        for name in modules
    }
    # Tarjan's strongly connected components, iteratively.
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in order:
            continue
        work = [(root, iter(edges[root]))]
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in order:
                    order[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], order[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == order[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group, key=index.__getitem__))
    return groups


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("citygraph", "compat", exclude_type_checking_imports=True)
    assert module_cycles(graph) == []


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert module_cycles(graph) == [["p.a", "p.b", "p.c"]]
