"""docs/settings.md documents exactly the COMMS_* variables the settings code reads."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from comms.config import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


class RecordingEnv(Mapping[str, str]):
    """An empty environment that remembers every name asked of it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def get(self, name: str, default=None):  # type: ignore[no-untyped-def, override]
        self.asked.add(name)
        return default

    def __contains__(self, name: object) -> bool:
        self.asked.add(str(name))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _documented() -> list[str]:
    return re.findall(r"^\| `(COMMS_[A-Z0-9_]+)` \|", DOC.read_text(), re.MULTILINE)


def test_every_variable_read_is_documented_and_every_documented_one_is_read():
    env = RecordingEnv()
    Settings.from_env(env)
    read = {name for name in env.asked if name.startswith("COMMS_")}
    documented = _documented()
    assert len(documented) == len(set(documented)), "a variable documented twice"
    assert read - set(documented) == set(), "read but not in docs/settings.md"
    assert set(documented) - read == set(), "in docs/settings.md but never read"


def test_each_documented_variable_has_a_default_and_a_format():
    for line in DOC.read_text().splitlines():
        if line.startswith("| `COMMS_"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert len(cells) == 3 and all(cells), line


def test_the_readme_points_to_the_settings_doc():
    readme = (DOC.parent.parent / "README.md").read_text()
    assert "docs/settings.md" in readme
