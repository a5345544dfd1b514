"""One definition of each shared text helper in comms/, found by walking its syntax.

Copies drift apart: two slug makers once gave ``z-rich-konomie`` and
``zurich-okonomie`` for the same title. Each helper below lives in comms/text.py;
this test fails when a second module defines one again, by name or, for the
regular expressions, by what the pattern matches (so a reworded copy counts too).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import comms

COMMS = Path(comms.__file__).parent
HOME = "comms/text.py"
FUNCTIONS = {"slugify", "duration_seconds", "normalise_email", "email_address"}
REGEX_FUNCTIONS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split"}


def _is_duration_pattern(pattern: re.Pattern[str]) -> bool:
    """An ISO 8601 duration grammar: reads YouTube's forms, refuses other words."""
    good = ("PT4M13S", "P1DT2H", "P0D")
    bad = ("4:13", "hello", "P1X", "PT4Q")
    return all(pattern.fullmatch(v) for v in good) and not any(
        pattern.fullmatch(v) for v in bad
    )


def _is_slug_pattern(pattern: re.Pattern[str]) -> bool:
    """The slug grammar: lowercase words joined by single hyphens, nothing else."""
    good = ("zurich-okonomie", "a1", "2026")
    bad = ("Zurich", "a--b", "-a", "a-", "a_b", "")
    return all(pattern.fullmatch(v) for v in good) and not any(
        pattern.fullmatch(v) for v in bad
    )


def _regex_literals(tree: ast.AST) -> list[str]:
    """The pattern text of every ``re.compile(...)``/``re.match(...)`` call."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else None
        if name not in REGEX_FUNCTIONS:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(first.value)
    return found


def shared_helper_definitions(root: Path) -> dict[str, set[str]]:
    """Which modules under ``root`` define each shared helper."""
    homes: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in FUNCTIONS:
                    homes[node.name].add(module)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                names = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "SLUG" for t in names):
                    homes["SLUG"].add(module)
        for text in _regex_literals(tree):
            try:
                pattern = re.compile(text)
            except re.error:
                continue
            if _is_duration_pattern(pattern):
                homes["ISO 8601 duration regex"].add(module)
            if _is_slug_pattern(pattern):
                homes["slug regex"].add(module)
    return homes


def test_each_shared_helper_is_defined_once_in_comms_text():
    homes = shared_helper_definitions(COMMS)
    expected = [*sorted(FUNCTIONS), "SLUG", "ISO 8601 duration regex", "slug regex"]
    assert {name: homes.get(name, set()) for name in expected} == {
        name: {HOME} for name in expected
    }


def test_a_second_definition_is_found(tmp_path):
    package = tmp_path / "comms"
    package.mkdir()
    (package / "text.py").write_text(
        (COMMS / "text.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (package / "copy.py").write_text(
        "import re\n"
        "_SLUGGISH = re.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')\n"
        "_LENGTH = re.compile(r'^P(?:(\\d+)D)?(?:T(?:(\\d+)H)?(?:(\\d+)M)?"
        "(?:(\\d+)S)?)?$')\n"
        "def normalise_email(raw): return raw.lower()\n",
        encoding="utf-8",
    )
    homes = shared_helper_definitions(package)
    copy = "comms/copy.py"
    assert homes["slug regex"] == {HOME, copy}
    assert homes["ISO 8601 duration regex"] == {HOME, copy}
    assert homes["normalise_email"] == {HOME, copy}
    assert homes["slugify"] == {HOME}
