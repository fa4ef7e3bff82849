"""What a clearance must say before anything is recorded, and what its restrictions mean.

The checks of ``services.clearance_rules`` on their own, without a booking or a database:
which field a refusal names, how old a consultation may be (the clinic's setting, counted
in the clinic's own days), and when restrictions turn "cleared" into "cleared with
restrictions" or rule out a deep-pressure service.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from booking.models import ClearanceOutcome, ClearanceSource, ClinicianKind
from booking.services.clearance_rules import (
    RESTRICTION_TICKS,
    ClearanceStatement,
    conflicts_with_restrictions,
    effective_outcome,
    validate,
)
from booking.services.errors import BookingError
from tests.support.policy import shipped_policy

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday, the same day in London


def from_patient(**changes) -> ClearanceStatement:
    values = {
        "outcome": ClearanceOutcome.CLEARED,
        "clinician_name": "Dr Patel",
        "clinician_kind": ClinicianKind.GP,
        "consultation_date": date(2027, 3, 8),
        "truthful": True,
    }
    values.update(changes)
    return ClearanceStatement(**values)


def refused_field(statement: ClearanceStatement, **policy_changes) -> str | None:
    with pytest.raises(BookingError) as refusal:
        validate(statement, now=NOW, policy=shipped_policy(**policy_changes))
    assert refusal.value.reason == "invalid"
    return refusal.value.field


def test_a_complete_statement_from_the_patient_passes():
    validate(from_patient(), now=NOW, policy=shipped_policy())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"clinician_name": "  "}, "clinician_name"),
        ({"clinician_kind": None}, "clinician_kind"),
        ({"consultation_date": None}, "consultation_date"),
        ({"truthful": False}, "truthful"),
        ({"consultation_date": date(2027, 3, 9)}, "consultation_date"),
        ({"restriction_ticks": ("massage_only_on_tuesdays",)}, "restriction_ticks"),
    ],
)
def test_an_incomplete_statement_is_refused_on_the_field_at_fault(changes, field):
    assert refused_field(from_patient(**changes)) == field


def test_the_consultation_may_be_as_old_as_the_clinic_allows_and_no_older():
    validate(
        from_patient(consultation_date=date(2027, 3, 1)),
        now=NOW,
        policy=shipped_policy(clearance_max_age_days=7),
    )
    too_old = from_patient(consultation_date=date(2027, 2, 28))
    assert refused_field(too_old, clearance_max_age_days=7) == "consultation_date"


def test_staff_must_give_a_reason_for_a_clearance_taken_by_phone():
    by_staff = from_patient(source=ClearanceSource.PHONE, staff_reason="")
    assert refused_field(by_staff) == "staff_reason"


def test_any_restriction_ticked_or_written_makes_cleared_cleared_with_restrictions():
    restricted = ClearanceOutcome.CLEARED_WITH_RESTRICTIONS
    assert effective_outcome(from_patient()) is ClearanceOutcome.CLEARED
    assert effective_outcome(from_patient(restriction_ticks=("avoid_area",))) is restricted
    assert effective_outcome(from_patient(restrictions="Not the left hip")) is restricted
    not_cleared = from_patient(outcome=ClearanceOutcome.NOT_CLEARED, restrictions="Rest")
    assert effective_outcome(not_cleared) is ClearanceOutcome.NOT_CLEARED


def test_only_pressure_restrictions_rule_out_a_deep_pressure_service():
    deep = SimpleNamespace(service=SimpleNamespace(deep_pressure=True))
    gentle = SimpleNamespace(service=SimpleNamespace(deep_pressure=False))
    assert set(RESTRICTION_TICKS) == {"avoid_area", "light_pressure_only", "no_deep_pressure"}
    assert conflicts_with_restrictions(deep, ["no_deep_pressure"])
    assert conflicts_with_restrictions(deep, ["light_pressure_only"])
    assert not conflicts_with_restrictions(deep, ["avoid_area"])
    assert not conflicts_with_restrictions(gentle, ["no_deep_pressure"])
