"""The screen as the verbs use it: a returning patient's clearance covers them until a
material change; restrictions bind and wait for the therapist; staff reasons are checked
on every verb that takes one; outcomes are counted per day with nothing else kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.intake import Assessment, Outcome
from booking.models import (
    ApprovalState,
    BookingStatus,
    ClearanceOutcome,
    ScreenOutcomeCount,
    Service,
)
from booking.services import bookings, clearance, screening
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.screens import severe
from tests.support.clearance import FRIDAY_10, NOW, book, cleared, make_clearance_clinic

LATER = NOW + timedelta(days=20)
NEXT_START = FRIDAY_10 + timedelta(days=28)


@pytest.fixture
def clinic(app):
    return make_clearance_clinic()


def cleared_patient(clinic, **statement):
    service, _, therapist = clinic
    first = book(service, therapist, severe())
    result = clearance.attest(first.id, cleared(**statement), actor=Actor.patient(), now=NOW)
    return result


@pytest.mark.parametrize(
    ("changes", "held"),
    [
        ({}, False),
        ({"history": {"blood_thinners"}}, True),
        ({"history": {"recent_surgery_or_fracture"}}, True),
        ({"history": {"blood_clot"}}, True),
        ({"history": {"pregnant"}}, True),
        ({"history": {"skin_infection"}}, True),
        ({"urgent_symptoms": {"cancer_history"}, "seen_doctor_since_onset": True}, True),
        ({"pain_score": 10}, True),
        ({"emergency_unsure": {"bladder"}, "seen_doctor_since_onset": True}, True),
    ],
)
def test_a_material_change_ends_the_clearances_cover(clinic, changes, held):
    service, _, therapist = clinic
    assert cleared_patient(clinic).result == "confirmed"
    again = book(service, therapist, severe(**changes), start=NEXT_START, now=LATER)
    assert again.status is (BookingStatus.HELD if held else BookingStatus.CONFIRMED)


def test_the_rescreen_changes_nothing_when_the_clearance_has_lapsed(clinic):
    service, _, therapist = clinic
    cleared_patient(clinic)
    long_after = NOW + timedelta(weeks=28)  # past the six months
    again = book(
        service, therapist, severe(), start=FRIDAY_10 + timedelta(weeks=28), now=long_after
    )
    assert again.status is BookingStatus.HELD


@pytest.mark.parametrize(
    ("ticks", "text"),
    [(("light_pressure_only",), ""), (("avoid_area",), ""), ((), "Avoid the left hip")],
)
def test_cleared_with_any_restriction_waits_for_the_therapist(clinic, ticks, text):
    result = cleared_patient(clinic, restriction_ticks=ticks, restrictions=text)
    assert result.result == "awaiting_approval"
    assert result.clearance.outcome is ClearanceOutcome.CLEARED_WITH_RESTRICTIONS
    assert result.clearance.approval is ApprovalState.PENDING
    assert result.booking.status is BookingStatus.HELD


@pytest.mark.parametrize(
    ("ticks", "text", "deep_refused"),
    [
        (("no_deep_pressure",), "", True),
        (("light_pressure_only",), "", True),
        ((), "Nothing firm on the lower back", True),  # words need a person to read them
        (("avoid_area",), "", False),
    ],
)
def test_an_approved_restriction_binds_later_online_bookings(clinic, ticks, text, deep_refused):
    service, deep, therapist = clinic
    first = cleared_patient(clinic, restriction_ticks=ticks, restrictions=text)
    clearance.decide(first.booking.id, approve=True, actor=Actor.staff(None), now=NOW)
    if deep_refused:
        with pytest.raises(BookingError) as refused:
            book(deep, therapist, severe(), start=NEXT_START, now=LATER)
        assert refused.value.reason == "not_suitable" and refused.value.field == "service"
    else:
        assert book(deep, therapist, severe(), start=NEXT_START, now=LATER).status is (
            BookingStatus.CONFIRMED
        )
    gentle = book(service, therapist, severe(), start=NEXT_START + timedelta(hours=3), now=LATER)
    assert gentle.status is BookingStatus.CONFIRMED


def test_every_staff_reason_is_checked(clinic):
    service, _, therapist = clinic
    held = book(service, therapist, severe())
    with pytest.raises(BookingError):
        clearance.extend_hold(held.id, reason=".", actor=Actor.staff(None), now=NOW)
    with pytest.raises(BookingError):
        clearance.attest(
            held.id,
            clearance.ClearanceStatement(
                outcome=ClearanceOutcome.CLEARED,
                source=clearance.ClearanceSource.PHONE,
                staff_reason="-",
            ),
            actor=Actor.staff(None),
            now=NOW,
        )
    with pytest.raises(BookingError):
        bookings.reschedule(
            held.id,
            FRIDAY_10 + timedelta(hours=2),
            actor=Actor.staff(None),
            now=NOW,
            therapist_id=therapist,
            override_reason="..",
        )
    assert held.status is BookingStatus.HELD


def test_refusing_a_clearance_needs_a_reason(clinic):
    result = cleared_patient(clinic, restriction_ticks=("avoid_area",))
    with pytest.raises(BookingError):
        clearance.decide(result.booking.id, approve=False, actor=Actor.staff(None), now=NOW)
    done = clearance.decide(
        result.booking.id,
        approve=False,
        actor=Actor.staff(None),
        now=NOW,
        reason="The restriction needs a physio review first",
    )
    assert done.status is BookingStatus.RELEASED


def test_now_is_utc():
    assert NOW.tzinfo is UTC


def test_restrictions_rule_out_a_deep_pressure_service_only(clinic):
    service_id, deep_id, _ = clinic
    gentle, deep = db.session.get(Service, service_id), db.session.get(Service, deep_id)
    assert screening.restrictions_conflict({"no_deep_pressure"}, None, deep)
    assert screening.restrictions_conflict({"light_pressure_only"}, "", deep)
    # Words a machine cannot read: a person decides.
    assert screening.restrictions_conflict((), "Avoid the left shoulder", deep)
    assert not screening.restrictions_conflict({"avoid_area"}, "  ", deep)
    assert not screening.restrictions_conflict({"no_deep_pressure"}, "Anything", gentle)


def test_any_restriction_ticked_or_written_counts():
    assert screening.has_restrictions({"avoid_area"}, None)
    assert screening.has_restrictions((), "Avoid the left shoulder")
    assert not screening.has_restrictions(None, "   ")


def test_outcomes_are_counted_per_clinic_day_and_nothing_else(app):
    late_evening = datetime(2027, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
    for _ in range(2):
        screening.count_outcome(Outcome.URGENT, now=late_evening)
    screening.count_outcome(Outcome.EMERGENCY, now=late_evening)
    db.session.commit()
    rows = db.session.execute(
        select(
            ScreenOutcomeCount.day, ScreenOutcomeCount.outcome, ScreenOutcomeCount.count
        ).order_by(ScreenOutcomeCount.outcome)
    ).all()
    assert rows == [(date(2027, 7, 2), "emergency", 1), (date(2027, 7, 2), "urgent", 2)]


@pytest.mark.parametrize(
    ("ticks", "text", "why"),
    [
        (("no_deep_pressure",), "", "restrictions"),
        ((), "Nothing firm on the lower back", "restrictions"),
        (("avoid_area",), "", None),
    ],
)
def test_the_steps_before_a_booking_refuse_by_the_verbs_rule(clinic, ticks, text, why):
    service_id, deep_id, _ = clinic
    first = cleared_patient(clinic, restriction_ticks=ticks, restrictions=text)
    clearance.decide(first.booking.id, approve=True, actor=Actor.staff(None), now=NOW)
    deep, gentle = db.session.get(Service, deep_id), db.session.get(Service, service_id)
    email = "p@example.org"  # the patient cleared above
    assert screening.unsuitable(deep, None, email, now=LATER) == why
    assert screening.deep_pressure_ruled_out(None, email, now=LATER) is (why is not None)
    assert screening.unsuitable(gentle, None, email, now=LATER) is None
    # Unknown until the details step: no clearance binds an anonymous visitor.
    assert screening.unsuitable(deep, None, None, now=LATER) is None


def test_a_screen_that_rules_out_deep_pressure_says_so_first(clinic):
    _, deep_id, _ = clinic
    deep = db.session.get(Service, deep_id)
    ruled_out = Assessment(outcome=Outcome.FLAG, no_deep_pressure=True)
    assert screening.unsuitable(deep, ruled_out, None, now=NOW) == "screen"
    assert screening.deep_pressure_ruled_out(ruled_out, None, now=NOW)
