"""The house: simprive's import graph has no cycles, counting imports inside functions too
(data flows one way: scenario → mechanism → adversary → metrics → results → figures; the
core imports no plugin)."""

import ast
from pathlib import Path

from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parent.parent


def import_graph() -> dict[str, set[str]]:
    """Module → the project's modules it imports (``from pkg import sub`` names ``pkg.sub``)."""
    files = {".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): f
             for root in ("simprive", "hydra_plugins") for f in (ROOT / root).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
                graph[module].update(n if n in files else node.module for n in names)
            elif isinstance(node, ast.Import):
                graph[module].update(a.name for a in node.names)
        graph[module] = {m for m in graph[module] if m in files and m != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module."""
    names = sorted(graph)
    index = {m: i for i, m in enumerate(names)}
    rows = [index[m] for m in names for _ in graph[m]]
    cols = [index[t] for m in names for t in sorted(graph[m])]
    matrix = csr_matrix(([1] * len(rows), (rows, cols)), shape=(len(names), len(names)))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    groups: dict[int, list[str]] = {}
    for m, label in zip(names, labels):
        groups.setdefault(label, []).append(m)
    return [g for g in groups.values() if len(g) > 1]


def test_the_import_graph_has_no_cycles():
    assert cycles(import_graph()) == []


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_command_line_imports_a_plugin():
    importers = {m for m, targets in import_graph().items() if m.startswith("simprive")
                 and any(t.startswith("hydra_plugins") for t in targets)}
    assert importers == {"simprive.cli"}
