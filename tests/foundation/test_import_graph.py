"""The house's import rules, checked from the source: no import circle among campbot and
scheduler modules, and no import inside a function without a stated reason.

import-linter (pyproject.toml, run by .ci/run) checks the layers; these two tests check what it
does not: a circle anywhere, even inside one layer (two listeners, two services), and the
imports hidden inside functions that used to keep such circles alive. The graph is built with
`ast` from every .py file, counting imports at any depth (inside functions and methods too);
only `if TYPE_CHECKING:` blocks are left out, because they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("campbot", "scheduler")
LAZY_MARK = "# lazy:"

# Known exceptions while a piece of work is under way: a circle (its modules) or a file with
# imports inside functions, each with the reason. Empty since the house (issue 16) was finished;
# a stale entry fails the test, so the lists can only shrink back to empty.
CYCLES_ALLOWED: list[frozenset[str]] = []
NESTED_IMPORTS_ALLOWED: dict[str, str] = {}


def module_files() -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its __init__)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import under `node`, with whether it sits inside a function; TYPE_CHECKING blocks skipped."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _walk(other, in_function)
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        yield from _walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                   ast.Lambda)))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of the packages that one import statement loads by name."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    out = set()
    for name in names:
        while name and name not in known:  # `import a.b.c` of a function or class: its module
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


def import_graph(files: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, list[int]]]:
    """(module -> modules it imports, module -> lines of its imports inside functions without a
    `# lazy: <reason>` comment)."""
    known = set(files)
    graph: dict[str, set[str]] = {}
    nested: dict[str, list[int]] = {}
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        graph[module] = set()
        for node, in_function in _walk(ast.parse(source, filename=str(path))):
            graph[module] |= _targets(node, module, path.name == "__init__.py", known) - {module}
            if in_function and not _has_reason(lines[node.lineno - 1]):
                nested.setdefault(module, []).append(node.lineno)
    return graph, nested


def _has_reason(line: str) -> bool:
    _, mark, reason = line.partition(LAZY_MARK)
    return bool(mark and reason.strip())


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component of more than one module (Tarjan), each as a
    path that starts and ends at the same module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative, so a deep graph cannot hit the recursion limit
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_circle(graph, component) for component in components]


def _circle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError("a strongly connected component always has a circle")


def _file(module: str, files: dict[str, Path]) -> str:
    return files[module].relative_to(ROOT).as_posix()


def test_no_import_circle() -> None:
    files = module_files()
    graph, _ = import_graph(files)
    found = cycles(graph)
    allowed = set(CYCLES_ALLOWED)
    unexpected = [c for c in found if frozenset(c) not in allowed]
    assert not unexpected, "import circles:\n" + "\n".join(
        " -> ".join(_file(m, files) for m in circle) for circle in unexpected)
    stale = allowed - {frozenset(c) for c in found}
    assert not stale, f"these circles are gone: remove them from CYCLES_ALLOWED: {sorted(map(sorted, stale))}"


def test_no_import_inside_a_function_without_a_reason() -> None:
    files = module_files()
    _, nested = import_graph(files)
    offenders = {_file(m, files): lines for m, lines in nested.items()}
    unexpected = {f: lines for f, lines in offenders.items() if f not in NESTED_IMPORTS_ALLOWED}
    assert not unexpected, (
        "imports inside functions (import at the top, or say why on the line with '# lazy: <reason>'): "
        + "; ".join(f"{f} lines {lines}" for f, lines in sorted(unexpected.items())))
    stale = sorted(set(NESTED_IMPORTS_ALLOWED) - set(offenders))
    assert not stale, f"these files have no nested import any more: remove them from NESTED_IMPORTS_ALLOWED: {stale}"


def test_the_checks_see_a_circle_and_a_hidden_import(tmp_path: Path) -> None:
    """The checkers themselves: a circle kept alive by an import inside a function is found, with
    its files, as is the hidden import; a `# lazy: <reason>` line is accepted, a bare one is not."""
    pkg = tmp_path / "campbot"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from campbot.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from campbot import c\n"
        "def f():\n    from campbot.a import x\n    import heavy  # lazy: costs a second at start-up\n"
        "    import other  # lazy:\n")
    (pkg / "c.py").write_text("from . import a\nfrom .sub.b import f\n")
    files = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
             for p in pkg.rglob("*.py")}
    graph, nested = import_graph(files)
    assert graph["campbot.sub.b"] == {"campbot.a"}  # the TYPE_CHECKING import is not a dependency
    assert graph["campbot.c"] == {"campbot.a", "campbot.sub.b"}  # relative imports resolved
    assert cycles(graph) == [["campbot.a", "campbot.sub.b", "campbot.a"]]
    assert nested == {"campbot.sub.b": [5, 7]}  # line 6 gives its reason
