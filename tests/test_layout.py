"""The package's shape, read from the source with ``ast`` (nothing is imported):

* no import circle among chatrec modules, counting imports inside functions (``if
  TYPE_CHECKING:`` blocks are not imports at run time, so they do not count);
* no module over 500 lines;
* no private name (``_x``) imported from another chatrec module, and the UI, the CLI and
  ``chatrec/eval/`` touch no private member of another module's objects.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "chatrec"
MAX_LINES = 500
# the front ends (a module or a package each): they use the library's public surface only
FRONT_ENDS = ("chatrec/ui.py", "chatrec/ui/", "chatrec/cli.py", "chatrec/cli/", "chatrec/eval/")
SELF_NAMES = {"self", "cls"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, at any depth (function bodies too), except what sits under ``if TYPE_CHECKING:``
    (its ``else:`` branch does run)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def package_of(mod: str, path: Path) -> str:
    return mod if path.name == "__init__.py" else mod.rpartition(".")[0]


def resolve(mod: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The chatrec modules an import statement runs."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in MODULES:  # `import chatrec.x.Y` is not a thing, but be safe
                name = name.rpartition(".")[0]
            if name:
                yield name
        return
    base = node.module or ""
    if node.level:
        pkg = package_of(mod, path).split(".")
        pkg = pkg[:len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([base] if base else []))
    if base not in MODULES:
        return
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        yield sub if sub in MODULES else base


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    at: str


def with_parents(target: str, source: str) -> Iterator[str]:
    """Importing ``chatrec.a.b`` first runs ``chatrec/a/__init__.py``: that is an edge too, except
    for the top-level package and the importer's own packages (already being imported)."""
    yield target
    ancestors = {source.rsplit(".", n)[0] for n in range(1, source.count(".") + 1)}
    parts = target.split(".")
    for n in range(2, len(parts)):
        parent = ".".join(parts[:n])
        if parent in MODULES and parent not in ancestors:
            yield parent


def import_edges() -> list[Edge]:
    edges: list[Edge] = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in runtime_nodes(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in resolve(mod, path, node):
                    edges += [Edge(mod, t, where(path, node)) for t in with_parents(target, mod)
                              if t != mod]
    return edges


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; only components of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def shortest_cycle(start: str, graph: dict[str, set[str]], members: set[str]) -> list[str]:
    """A shortest path start -> ... -> start inside one component (breadth first)."""
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if child not in prev:
                    prev[child] = node
                    nxt.append(child)
        frontier = nxt
    return [start]


def test_no_import_circle() -> None:
    edges = import_edges()
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    at: dict[tuple[str, str], str] = {}
    for e in edges:
        graph[e.source].add(e.target)
        at.setdefault((e.source, e.target), e.at)
    report = []
    for comp in strongly_connected(graph):
        members = set(comp)
        cycle = shortest_cycle(comp[0], graph, members)
        steps = [f"    {a} -> {b}  ({at[a, b]})" for a, b in itertools.pairwise(cycle)]
        report.append(f"  {len(comp)} modules in a circle: {', '.join(comp)}\n"
                      f"  for example:\n" + "\n".join(steps))
    print("\n".join(report))
    assert not report, ("import circles (imports inside functions count; move the shared part "
                        "down a level or pass it in):\n" + "\n".join(report))


def test_no_module_over_500_lines() -> None:
    long = {str(p.relative_to(REPO)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    lines = [f"  {name}: {n} lines" for name, n in sorted(long.items(), key=lambda kv: -kv[1])]
    print("\n".join(lines))
    assert not long, f"modules over {MAX_LINES} lines (split them by what they do):\n" + "\n".join(lines)


def test_no_private_name_is_imported_from_another_module() -> None:
    found = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in runtime_nodes(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chatrec"):
                found += [f"  {where(path, node)}: from {node.module} import {a.name}"
                          for a in node.names if is_private(a.name)]
            elif isinstance(node, ast.Import):
                found += [f"  {where(path, node)}: import {a.name}" for a in node.names
                          if a.name.startswith("chatrec") and any(map(is_private, a.name.split(".")))]
    found.sort(key=lambda line: (line.split(":")[0], int(line.split(":")[1])))
    print("\n".join(found))
    assert not found, ("private names imported across modules (make them public, or move the "
                       "code that needs them):\n" + "\n".join(found))


def own_private_names(tree: ast.AST) -> set[str]:
    """Private names this module defines: functions, classes, variables and ``self._x``
    attributes. Reaching ``obj._x`` when ``_x`` is one of these is the module's own business."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id in SELF_NAMES:
            names.add(node.attr)
    return {n for n in names if is_private(n)}


def test_front_ends_touch_no_private_member_of_another_module() -> None:
    found = []
    checked = set()
    for path in MODULES.values():
        rel = path.relative_to(REPO).as_posix()
        if not rel.startswith(FRONT_ENDS):
            continue
        checked.add(rel.split("/")[1].removesuffix(".py"))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        own = own_private_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in SELF_NAMES:
                continue
            if node.attr in own:
                continue
            found.append(f"  {where(path, node)}: {ast.unparse(node)}")
    assert checked == {"ui", "cli", "eval"}, f"front ends moved? only found {sorted(checked)}"
    found.sort(key=lambda line: (line.split(":")[0], int(line.split(":")[1])))
    print("\n".join(found))
    assert not found, ("the UI, the CLI and the evaluation use public names only; these reach "
                       "into another module's private members (add a public method or an "
                       "override to the owner):\n" + "\n".join(found))


# --- the checks themselves can fail ---------------------------------------------------------------
def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert shortest_cycle("a", graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]


def test_imports_in_functions_count_and_type_checking_ones_do_not() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    import chatrec.session\n"
                     "else:\n    import chatrec.errors\n"
                     "def f():\n    from chatrec.retrieve import index\n")
    path = PACKAGE / "recommender.py"
    found = [t for node in runtime_nodes(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for t in resolve("chatrec.recommender", path, node)]
    assert sorted(found) == ["chatrec.errors", "chatrec.retrieve.index"]
    assert list(with_parents("chatrec.retrieve.index", "chatrec.recommender")) == \
        ["chatrec.retrieve.index", "chatrec.retrieve"]
    assert list(with_parents("chatrec.retrieve.index", "chatrec.retrieve.candidates")) == \
        ["chatrec.retrieve.index"]
