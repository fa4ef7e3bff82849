"""Print a pip constraints file pinning every declared dependency to its floor.

``make test-min`` installs the project with these constraints into a throwaway virtual
environment and runs the suite, so each ``>=`` in pyproject.toml is a version that works.
Every dependency (runtime and the ``dev`` extra) must have a floor.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*$")


def floors(extras: tuple[str, ...] = ("dev",)) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    pins = []
    for requirement in declared:
        match = FLOOR.match(requirement)
        if match is None:
            raise SystemExit(f"{requirement!r}: every dependency needs a plain floor (NAME>=X)")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


if __name__ == "__main__":
    print("\n".join(floors(tuple(sys.argv[1:]) or ("dev",))))
