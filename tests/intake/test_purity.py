"""booking/intake/ is pure: it may import only the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "booking" / "intake"


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import (level > 0) reaches into the booking package: not allowed.
            module = node.module or ""
            if node.level == 0 and (
                module == "booking.intake" or module.startswith("booking.intake.")
            ):
                continue  # the package's own modules
            roots.add("." * node.level + module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            roots.add("__import__()")
    return roots


def test_intake_imports_only_the_standard_library() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5, "the screen is split into its sections"
    for module in modules:
        roots = _imported_roots(module.read_text(encoding="utf-8"))
        outside = {r for r in roots if r not in sys.stdlib_module_names}
        assert outside == set(), module.name


def test_each_section_stays_small() -> None:
    for module in PACKAGE.glob("*.py"):
        assert len(module.read_text(encoding="utf-8").splitlines()) < 400, module.name


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
