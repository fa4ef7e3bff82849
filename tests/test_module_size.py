"""No module under booking/ grows past 450 lines: split it along a seam before it does.

A module a newcomer can read in one sitting holds one concept; past about 400 lines it
usually holds two. The count is of physical lines, docstrings and comments included.
"""

from __future__ import annotations

from pathlib import Path

import booking

LIMIT = 450
PACKAGE = Path(booking.__file__).parent


def test_no_module_under_booking_is_longer_than_the_limit():
    too_long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not too_long, f"split these modules (over {LIMIT} lines): {too_long}"


def test_the_count_sees_the_whole_package():
    modules = list(PACKAGE.rglob("*.py"))
    assert PACKAGE / "__init__.py" in modules
    assert PACKAGE / "services" / "bookings" / "making.py" in modules
    assert len(modules) > 100
