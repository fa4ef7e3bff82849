"""The scheduling core stays pure: standard library and booking.scheduling only."""

import ast
import sys
from pathlib import Path

import pytest

import booking.scheduling

PACKAGE_DIR = Path(booking.scheduling.__file__).parent
MODULES = sorted(PACKAGE_DIR.glob("*.py"))
FORBIDDEN_ROOTS = {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "jinja2"}


def imported_names(path: Path) -> list[str]:
    """Every absolute module name a file imports (relative imports stay in the package)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_package_has_the_expected_modules():
    assert {p.name for p in MODULES} >= {"__init__.py", "intervals.py", "slots.py", "holds.py"}


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_scheduling_module_imports_only_stdlib_and_itself(path):
    for name in imported_names(path):
        root = name.split(".")[0]
        assert root not in FORBIDDEN_ROOTS, f"{path.name} imports {name}"
        if root == "booking":
            assert name == "booking.scheduling" or name.startswith("booking.scheduling."), (
                f"{path.name} imports {name} from outside booking.scheduling"
            )
        else:
            assert root in sys.stdlib_module_names or root == "__future__", (
                f"{path.name} imports non-stdlib {name}"
            )


def test_import_checker_catches_forbidden_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom booking.models import Booking\nfrom . import x\n")
    assert imported_names(bad) == ["flask", "booking.models"]
