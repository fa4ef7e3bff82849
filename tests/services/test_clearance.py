"""Holds and clearance: held -> confirmed, expiry frees the slot, nothing else confirms."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import (
    ApprovalState,
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
)
from booking.services import availability, bookings, clearance, holds
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.clearance import FRIDAY_10, NOW, book, cleared, make_clearance_clinic
from tests.support.races import race
from tests.support.screens import fine, severe


@pytest.fixture
def clinic(app):
    return make_clearance_clinic()


def is_offered(service_id, start, now):
    from booking.models import Service

    service = db.session.get(Service, service_id)
    return availability.is_offered(service, 60, start, now=now)


def test_hold_expiry_is_48h_after_booking_or_24h_before_start(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    assert booking.status is BookingStatus.HELD
    assert booking.hold_expires_at == NOW + timedelta(hours=48)
    wednesday_10 = FRIDAY_10 - timedelta(days=2)  # 49 hours ahead
    soon = book(service, therapist, severe(), start=wednesday_10, email="s@x.org")
    assert soon.hold_expires_at == wednesday_10 - timedelta(hours=24)


def test_held_becomes_confirmed_when_the_patient_attests_clearance(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    result = clearance.attest(booking.id, cleared(), actor=Actor.patient(), now=NOW)
    assert result.result == "confirmed"
    assert result.booking.status is BookingStatus.CONFIRMED
    assert result.booking.confirmed_at == NOW
    assert result.booking.ics_sequence == 1
    assert result.clearance.valid_until == NOW + timedelta(days=183)


def test_an_expired_hold_frees_the_slot_before_and_after_the_expiry_job(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    assert not is_offered(service, FRIDAY_10, NOW + timedelta(hours=1))
    after = booking.hold_expires_at + timedelta(minutes=1)
    # Before any job marks it, the slot is free again.
    assert is_offered(service, FRIDAY_10, after)
    assert db.session.get(Booking, booking.id).status is BookingStatus.HELD
    assert holds.expire_holds(now=after) == [booking.id]
    assert db.session.get(Booking, booking.id).status is BookingStatus.EXPIRED
    assert is_offered(service, FRIDAY_10, after)


def test_someone_else_can_book_a_lapsed_hold_before_it_is_marked(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    after = booking.hold_expires_at + timedelta(minutes=1)
    other = book(service, therapist, fine(), email="o@example.org", now=after)
    assert other.status is BookingStatus.CONFIRMED
    assert db.session.get(Booking, booking.id).status is BookingStatus.EXPIRED


def test_attesting_after_expiry_reconfirms_if_the_slot_is_still_free(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    after = booking.hold_expires_at + timedelta(hours=1)
    result = clearance.attest(
        booking.id, cleared(consultation_date=date(2027, 3, 10)), actor=Actor.patient(), now=after
    )
    assert result.result == "confirmed"
    assert result.booking.starts_at == FRIDAY_10


def test_attesting_after_expiry_offers_alternatives_if_the_slot_was_taken(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    after = booking.hold_expires_at + timedelta(hours=1)
    book(service, therapist, fine(), email="o@example.org", now=after)
    with pytest.raises(BookingError) as refused:
        clearance.attest(
            booking.id,
            cleared(consultation_date=date(2027, 3, 10)),
            actor=Actor.patient(),
            now=after,
        )
    assert refused.value.reason == "taken"
    assert refused.value.alternatives
    assert db.session.get(Booking, booking.id).status is BookingStatus.EXPIRED


def test_restrictions_wait_for_a_therapist_to_approve(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    result = clearance.attest(
        booking.id,
        cleared(ClearanceOutcome.CLEARED_WITH_RESTRICTIONS, ticks=("avoid_area",)),
        actor=Actor.patient(),
        now=NOW,
    )
    assert result.result == "awaiting_approval"
    assert result.booking.status is BookingStatus.HELD
    assert result.clearance.approval is ApprovalState.PENDING
    approved = clearance.decide(booking.id, approve=True, actor=Actor.staff(None), now=NOW)
    assert approved.status is BookingStatus.CONFIRMED


def test_a_deep_pressure_service_cannot_be_confirmed_against_restrictions(clinic):
    _, deep, therapist = clinic
    booking = book(deep, therapist, severe())
    with pytest.raises(BookingError) as refused:
        clearance.attest(
            booking.id,
            cleared(ClearanceOutcome.CLEARED_WITH_RESTRICTIONS, ticks=("no_deep_pressure",)),
            actor=Actor.patient(),
            now=NOW,
        )
    assert refused.value.reason == "not_suitable"
    assert db.session.get(Booking, booking.id).status is BookingStatus.HELD


def test_not_cleared_releases_the_booking_at_no_charge(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    result = clearance.attest(
        booking.id, cleared(ClearanceOutcome.NOT_CLEARED), actor=Actor.patient(), now=NOW
    )
    assert result.booking.status is BookingStatus.RELEASED
    assert is_offered(service, FRIDAY_10, NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consultation_date": date(2027, 3, 9)}, "consultation_date"),  # future
        ({"consultation_date": date(2027, 2, 5)}, "consultation_date"),  # 31 days ago
        ({"truthful": False}, "truthful"),
        ({"clinician_name": "  "}, "clinician_name"),
        ({"clinician_kind": None}, "clinician_kind"),
    ],
)
def test_invalid_statements_are_refused_and_change_nothing(clinic, changes, field):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    with pytest.raises(BookingError) as refused:
        clearance.attest(booking.id, cleared(**changes), actor=Actor.patient(), now=NOW)
    assert refused.value.field == field
    assert db.session.get(Booking, booking.id).status is BookingStatus.HELD


def test_a_confirmed_or_cancelled_booking_cannot_be_cleared_again(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, fine())
    with pytest.raises(BookingError):
        clearance.attest(booking.id, cleared(), actor=Actor.patient(), now=NOW)
    held = book(service, therapist, severe(), start=FRIDAY_10 + timedelta(hours=3), email="h@x.org")
    bookings.cancel(held.id, actor=Actor.patient(), now=NOW)
    with pytest.raises(BookingError):
        clearance.attest(held.id, cleared(), actor=Actor.patient(), now=NOW)
    assert db.session.get(Booking, held.id).status is BookingStatus.CANCELLED


def test_staff_record_a_clearance_with_a_reason(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    with pytest.raises(BookingError):
        clearance.attest(
            booking.id,
            clearance.ClearanceStatement(ClearanceOutcome.CLEARED, source=ClearanceSource.PHONE),
            actor=Actor.staff(None),
            now=NOW,
        )
    statement = clearance.ClearanceStatement(
        ClearanceOutcome.CLEARED, source=ClearanceSource.PHONE, staff_reason="GP rang us"
    )
    result = clearance.attest(booking.id, statement, actor=Actor.staff(None), now=NOW)
    assert result.booking.status is BookingStatus.CONFIRMED


def test_a_hold_can_be_extended_once_by_48_hours(clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe(), start=FRIDAY_10 + timedelta(days=7))
    before = booking.hold_expires_at
    extended = clearance.extend_hold(
        booking.id, reason="GP on Thursday", actor=Actor.staff(None), now=NOW
    )
    assert extended.hold_expires_at == before + timedelta(hours=48)
    with pytest.raises(BookingError) as again:
        clearance.extend_hold(
            booking.id, reason="Asked again by phone", actor=Actor.staff(None), now=NOW
        )
    assert again.value.reason == "already_extended"


def test_a_returning_patient_with_a_valid_clearance_is_not_held_again(clinic):
    service, _, therapist = clinic
    first = book(service, therapist, severe())
    clearance.attest(first.id, cleared(), actor=Actor.patient(), now=NOW)
    later = NOW + timedelta(days=30)
    again = book(service, therapist, severe(), start=FRIDAY_10 + timedelta(days=35), now=later)
    assert again.status is BookingStatus.CONFIRMED
    # A material change (pain much worse, new area) needs a new clearance.
    worse = book(
        service,
        therapist,
        severe(pain_score=10, location="whole_back"),
        start=FRIDAY_10 + timedelta(days=35, hours=3),
        now=later,
    )
    assert worse.status is BookingStatus.HELD


@pytest.mark.committed
def test_ten_parallel_clearances_make_one_transition(app, clinic):
    service, _, therapist = clinic
    booking_id = book(service, therapist, severe()).id
    db.session.commit()
    outcomes = race(
        app, lambda i: clearance.attest(booking_id, cleared(), actor=Actor.patient(), now=NOW), 10
    )
    assert outcomes["ok"] == 1
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking.status is BookingStatus.CONFIRMED and booking.ics_sequence == 1


@pytest.mark.committed
def test_clearance_racing_a_cancel_makes_one_transition_each(app, clinic):
    service, _, therapist = clinic
    booking_id = book(service, therapist, severe()).id
    db.session.commit()

    def work(i):
        if i % 2:
            clearance.attest(booking_id, cleared(), actor=Actor.patient(), now=NOW)
        else:
            bookings.cancel(booking_id, actor=Actor.patient(), now=NOW)
        return "clear" if i % 2 else "cancel"

    outcomes = race(app, work, 6)
    db.session.rollback()
    final = db.session.get(Booking, booking_id)
    # At most one clearance and one cancel took effect (a cancel may follow a
    # confirmation), and every success is exactly one recorded change.
    assert final.status is BookingStatus.CANCELLED
    assert 1 <= outcomes["ok"] <= 2
    assert final.ics_sequence == outcomes["ok"]


@pytest.mark.committed
def test_clearance_racing_expiry_makes_one_transition(app, clinic):
    service, _, therapist = clinic
    booking = book(service, therapist, severe())
    booking_id, at_expiry = booking.id, booking.hold_expires_at
    db.session.commit()

    def work(i):
        if i % 2:
            clearance.attest(
                booking_id,
                cleared(consultation_date=date(2027, 3, 10)),
                actor=Actor.patient(),
                now=at_expiry - timedelta(seconds=1),
            )
        else:
            holds.expire_holds(now=at_expiry)

    race(app, work, 6)
    db.session.rollback()
    final = db.session.get(Booking, booking_id)
    actions = [
        e.action
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.booking_id == booking_id))
    ]
    # One confirmation at most, one expiry at most (a clearance may re-confirm a hold that
    # expired a moment before, if its time is still free), and no change was lost.
    assert actions.count("booking.confirmed") <= 1
    assert actions.count("booking.hold_expired") <= 1
    assert final.ics_sequence == actions.count("booking.confirmed") + actions.count(
        "booking.hold_expired"
    )
    assert final.status in (BookingStatus.CONFIRMED, BookingStatus.EXPIRED)


def test_the_manage_page_offers_clearance_only_while_it_can_be_accepted(clinic):
    service, _, therapist = clinic
    held = book(service, therapist, severe())
    assert clearance.can_attest(held, NOW)
    # A hold that lapsed before its start may still be cleared (and re-reserved).
    assert clearance.can_attest(held, held.hold_expires_at + timedelta(minutes=1))
    assert not clearance.can_attest(held, held.starts_at + timedelta(minutes=1))
    clearance.attest(
        held.id,
        cleared(ClearanceOutcome.CLEARED_WITH_RESTRICTIONS, ticks=("avoid_area",)),
        actor=Actor.patient(),
        now=NOW,
    )
    assert not clearance.can_attest(held, NOW)  # waiting for the therapist
    confirmed = book(
        service, therapist, fine(), start=FRIDAY_10 + timedelta(hours=3), email="c@example.org"
    )
    assert not clearance.can_attest(confirmed, NOW)


@pytest.mark.committed
def test_two_staff_deciding_one_restricted_clearance_at_once_make_one_decision(app, clinic):
    service, _, therapist = clinic
    booking_id = book(service, therapist, severe()).id
    clearance.attest(
        booking_id,
        cleared(ClearanceOutcome.CLEARED_WITH_RESTRICTIONS, ticks=("avoid_area",)),
        actor=Actor.patient(),
        now=NOW,
    )
    db.session.commit()

    def work(i):
        clearance.decide(
            booking_id,
            approve=i % 2 == 0,
            actor=Actor.staff(None),
            now=NOW,
            reason="The restrictions do not fit the treatment planned",
        )

    outcomes = race(app, work, 6)
    assert outcomes["ok"] == 1
    assert outcomes["not_pending"] == 5
    db.session.rollback()
    (decided,) = db.session.scalars(select(Clearance).where(Clearance.booking_id == booking_id))
    final = db.session.get(Booking, booking_id)
    # One decision, and the booking moved once, the way that decision says.
    if decided.approval is ApprovalState.APPROVED:
        assert final.status is BookingStatus.CONFIRMED
    else:
        assert decided.approval is ApprovalState.REFUSED
        assert final.status is BookingStatus.RELEASED
    assert final.ics_sequence == 1
