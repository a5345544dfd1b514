"""The parts of comms import one another one way only.

A part is a module or package directly under ``comms/`` (``comms.cli``,
``comms.catalogue``...). Every import counts, wherever it stands: a function-level
import is a dependency all the same, only hidden from import-time crashes. The
graph between parts must have no cycle, so each layer can be read, tested and
replaced without the ones above it.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "comms"
ROOT = "__init__"  # the part standing for the package's own __init__.py


@dataclass(frozen=True)
class Edge:
    """One import of part ``target`` by a file of part ``source``."""

    source: str
    target: str
    where: str  # "path:line" of the first import seen


def _module_name(path: Path, package_dir: Path) -> tuple[str, ...]:
    """The dotted name of a file, as a tuple, below (and including) the package."""
    relative = path.relative_to(package_dir).with_suffix("")
    parts = (package_dir.name, *relative.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_names(
    tree: ast.AST, module: tuple[str, ...], is_package: bool
) -> Iterator[tuple[tuple[str, ...], int]]:
    """Every absolute module name a file imports, with the line, at any depth."""
    package = module if is_package else module[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield tuple(alias.name.split(".")), node.lineno
        elif isinstance(node, ast.ImportFrom):
            # `from . import x` in a.b.c names a.b.x; each extra dot climbs one.
            base = package[: len(package) - node.level + 1] if node.level else ()
            if node.module:
                base = (*base, *node.module.split("."))
            # `from comms import x` imports the submodule x when there is one;
            # the caller decides by the part's name.
            for alias in node.names:
                yield (*base, alias.name), node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield tuple(node.args[0].value.split(".")), node.lineno


def part_edges(package_dir: Path) -> list[Edge]:
    """The imports between the top-level parts of the package in ``package_dir``."""
    name = package_dir.name
    parts = {
        child.stem if child.is_file() else child.name
        for child in package_dir.iterdir()
        if (child.is_file() and child.suffix == ".py" and child.stem != ROOT)
        or (child.is_dir() and any(child.rglob("*.py")))
    }
    edges: dict[tuple[str, str], Edge] = {}
    for path in sorted(package_dir.rglob("*.py")):
        module = _module_name(path, package_dir)
        source = module[1] if len(module) > 1 else ROOT
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imported, line in _imported_names(tree, module, path.name == "__init__.py"):
            if not imported or imported[0] != name:
                continue
            target = imported[1] if len(imported) > 1 and imported[1] in parts else ROOT
            if target == source or (source, target) in edges:
                continue
            where = f"{path.relative_to(package_dir.parent)}:{line}"
            edges[(source, target)] = Edge(source, target, where)
    return sorted(edges.values(), key=lambda e: (e.source, e.target))


def find_cycles(edges: list[Edge]) -> list[list[Edge]]:
    """One cycle through each strongly connected group of parts (Tarjan's algorithm)."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
        graph.setdefault(edge.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph[node]:
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, list[Edge]]) -> list[Edge]:
    """A shortest cycle through the group's first member, by breadth-first search."""
    start = min(group)
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target not in group:
                    continue
                if edge.target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, came_by[path[0].source])
                    return path
                if edge.target not in came_by:
                    came_by[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def describe(cycle: list[Edge]) -> str:
    """A cycle as ``a -> b (file:line) -> a (file:line)``."""
    steps = [cycle[0].source]
    steps += [f"{edge.target} ({edge.where})" for edge in cycle]
    return " -> ".join(steps)


def test_parts_of_comms_import_one_another_one_way() -> None:
    cycles = find_cycles(part_edges(PACKAGE_DIR))
    assert not cycles, "import cycles between parts of comms:\n" + "\n".join(
        describe(cycle) for cycle in cycles
    )


def _write_package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "fake" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "fake"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "__init__.py": "",
                "low.py": "def f():\n    from fake.high import g\n",
                "high/__init__.py": "import fake.low\n",
            },
            "high -> low (fake/high/__init__.py:1) -> high (fake/low.py:2)",
            id="function-level",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "low/__init__.py": "",
                "low/inner.py": "from ..high import views\n",
                "high/__init__.py": "",
                "high/views.py": "from fake import low\n",
            },
            "high -> low (fake/high/views.py:1) -> high (fake/low/inner.py:1)",
            id="relative-and-from-package",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "a.py": "from fake.b import x\n",
                "b.py": "import fake.c.deep\n",
                "c/__init__.py": "",
                "c/deep.py": "from . import helper\n",
                "c/helper.py": (
                    "import importlib\nimportlib.import_module('fake.a.y')\n"
                ),
            },
            "a -> b (fake/a.py:1) -> c (fake/b.py:1) -> a (fake/c/helper.py:2)",
            id="three-parts-and-import-module",
        ),
    ],
)
def test_a_cycle_is_found_and_named(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    cycles = find_cycles(part_edges(_write_package(tmp_path, files)))
    assert [describe(cycle) for cycle in cycles] == [expected]


def test_one_way_imports_pass(tmp_path: Path) -> None:
    package = _write_package(
        tmp_path,
        {
            "__init__.py": "def create():\n    from fake.top import app\n",
            "low.py": "import os\n",
            "top/__init__.py": "from fake import low\nfrom . import views\n",
            "top/views.py": "from fake.low import x\nfrom .. import low\n",
        },
    )
    edges = part_edges(package)
    assert [(e.source, e.target) for e in edges] == [
        ("__init__", "top"),
        ("top", "low"),
    ]
    assert find_cycles(edges) == []


README = PACKAGE_DIR.parent / "README.md"


def readme_layers(readme: Path) -> list[set[str]]:
    """The rows of the layer diagram in the README's development notes, top first.

    A row starts with its label at the left margin; indented lines continue it.
    Words in parentheses are comments; ``comms`` stands for the package's own
    ``__init__``, "text helpers" for ``text``.
    """
    text = readme.read_text(encoding="utf-8")
    block = text.split("```text", 1)[1].split("```", 1)[0]
    rows: list[str] = []
    for line in textwrap.dedent(block).splitlines():
        if not line.strip():
            continue
        if line[0].isspace() and rows:
            rows[-1] += " " + line
        else:
            rows.append(re.split(r"\s{2,}", line.strip(), maxsplit=1)[-1])
    layers = []
    for row in rows:
        words = re.sub(r"\([^)]*\)", " ", row).replace("+", " ").split()
        layers.append({ROOT if word == "comms" else word for word in words})
    return layers


def test_the_readme_diagram_shows_every_part_and_every_import_goes_down() -> None:
    layers = readme_layers(README)
    row_of = {part: index for index, row in enumerate(layers) for part in row}
    edges = part_edges(PACKAGE_DIR)
    parts = {edge.source for edge in edges} | {edge.target for edge in edges}
    missing = sorted(parts - row_of.keys())
    assert not missing, f"parts missing from the README's layer diagram: {missing}"
    upwards = [
        f"{edge.source} -> {edge.target} ({edge.where})"
        for edge in edges
        if row_of[edge.target] < row_of[edge.source]
    ]
    assert not upwards, "imports going up the README's layers:\n" + "\n".join(upwards)
