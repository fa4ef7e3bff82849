"""The error root: one base, reason codes as an enum that still reads as plain strings."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import booking
from booking.services.errors import (
    BookingError,
    CatalogError,
    NotAllowed,
    Reason,
    Refusal,
    SettingsError,
    StaffError,
)
from booking.web import refusals

AREAS = (BookingError, StaffError, CatalogError)


@pytest.mark.parametrize("kind", AREAS)
def test_every_area_refusal_is_the_one_root_with_a_reason_that_is_its_string(kind):
    error = kind("taken", "Sorry, that time was just taken.", field="start")
    assert isinstance(error, Refusal)
    assert error.reason is Reason.TAKEN
    assert error.reason == "taken"
    assert json.dumps({"reason": error.reason}) == '{"reason": "taken"}'
    assert f"{error.reason}" == "taken"
    assert (error.message, error.field, str(error)) == (
        "Sorry, that time was just taken.",
        "start",
        "Sorry, that time was just taken.",
    )


def test_a_reason_code_that_is_not_in_the_enum_is_refused_when_raised():
    with pytest.raises(ValueError, match="unknown refusal reason 'no_such_code'"):
        BookingError("no_such_code", "…")


def test_not_allowed_and_settings_errors_share_the_root():
    assert NotAllowed().reason is Reason.NOT_ALLOWED
    error = SettingsError({"HOLD_MINUTES": "Too long."})
    assert isinstance(error, Refusal)
    assert error.errors == {"HOLD_MINUTES": "Too long."}
    assert error.reason is Reason.INVALID


def _reason_literals() -> set[str]:
    names = {"BookingError", "StaffError", "CatalogError", "Refusal"}
    found = set()
    for path in Path(booking.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if name in names and isinstance(first, ast.Constant):
                found.add(first.value)
    return found


def test_every_reason_code_the_verbs_raise_is_in_the_enum():
    literals = _reason_literals()
    assert "taken" in literals and "not_found" in literals  # the scan sees the verbs
    assert literals <= {reason.value for reason in Reason}


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("not_found", 404),
        ("not_allowed", 403),
        ("invalid", 400),
        ("unknown_service", 400),
        ("unknown_duration", 400),
        ("taken", 409),
        ("cutoff", 409),
        ("not_held", 409),
        ("emergency", 409),
    ],
)
def test_one_mapping_gives_each_reason_its_http_status(reason, status):
    assert refusals.status_for(BookingError(reason, "…")) == status
