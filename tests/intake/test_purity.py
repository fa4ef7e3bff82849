"""booking/intake.py is pure: it may import only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE = Path(__file__).resolve().parents[2] / "booking" / "intake.py"


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import (level > 0) reaches into the booking package: not allowed.
            roots.add("." * node.level + (node.module or "").split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            roots.add("__import__()")
    return roots


def test_intake_imports_only_the_standard_library() -> None:
    roots = _imported_roots(MODULE.read_text(encoding="utf-8"))
    outside = {r for r in roots if r not in sys.stdlib_module_names}
    assert roots, "the check found no imports at all"
    assert outside == set()


def test_the_check_catches_third_party_and_package_imports() -> None:
    source = (
        "import flask\nfrom sqlalchemy import orm\nfrom . import clock\nfrom booking import x\n"
    )
    roots = _imported_roots(source)
    assert {r for r in roots if r not in sys.stdlib_module_names} == {
        "flask",
        "sqlalchemy",
        ".",
        "booking",
    }
