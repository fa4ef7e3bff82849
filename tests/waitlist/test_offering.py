"""Offering freed times: each way a time comes free leads to an offer, one entry at a time.

The worker's clock is passed in (frozen), so expiry is tested by running the next pass at
a later instant, never by waiting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, Closure, OfferState, WorkingHours
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.waitlist.offering import offer_free_times
from booking.worker.jobs import run_jobs
from tests.builders import make_room, make_service, make_therapist
from tests.screens import severe
from tests.waitlist.helpers import NOW, ONE_SLOT, THURSDAY_10, book, join, later, offers


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    therapist = make_therapist(services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    return service.id, therapist.id


def test_a_cancellation_is_offered_to_the_waiting_patient(clinic):
    service, _ = clinic
    booked = book(service)
    entry, _ = join(service)
    assert offer_free_times(now=later(1)) == 0  # the day is full
    bookings.cancel(booked, actor=Actor.patient(), now=later(2), enforce_cutoff=False)
    assert offer_free_times(now=later(3)) == 1
    [offer] = offers(entry)
    assert offer.starts_at == THURSDAY_10
    assert offer.expires_at == later(3) + timedelta(minutes=30)
    assert offer.reservation.status is BookingStatus.OFFERED


def test_reception_cancelling_is_offered_through_the_worker_pass(app, clinic):
    from tests.web.test_reception_actions import signed_in

    service, _ = clinic
    booked = db.session.get(Booking, book(service))
    entry, _ = join(service)
    with clock.frozen(later(2)):
        desk, _ = signed_in(app)
        cancelled = desk.post(
            f"/reception/bookings/{booked.public_id}/cancel", data={"confirm": "y"}
        )
    assert cancelled.status_code == 303
    assert db.session.get(Booking, booked.id, populate_existing=True).status is (
        BookingStatus.CANCELLED
    )
    counts = run_jobs(later(3))
    assert counts["waitlist_offered"] == 1
    assert offers(entry)[0].starts_at == THURSDAY_10


def test_expiry_passes_the_time_on_in_the_worker_with_its_clock_frozen(clinic):
    service, _ = clinic
    first, _ = join(service, 1, now=NOW)
    second, _ = join(service, 2, now=later(1))
    with clock.frozen(later(2)):
        assert run_jobs(clock.now())["waitlist_offered"] == 1
    [offer] = offers(first)
    # The clock stands still a second before the end: nothing moves.
    with clock.frozen(offer.expires_at - timedelta(seconds=1)):
        assert run_jobs(clock.now())["waitlist_offered"] == 0
    assert offers(second) == []
    with clock.frozen(offer.expires_at):
        assert run_jobs(clock.now())["waitlist_offered"] == 1
    assert [o.id for o in offers(first, OfferState.EXPIRED)] == [offer.id]
    assert offers(second)[0].starts_at == THURSDAY_10


def test_an_expired_hold_is_offered(clinic):
    service, _ = clinic
    book(service, screen=severe(), now=NOW - timedelta(days=3))
    entry, _ = join(service)
    held = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.HELD))
    assert offer_free_times(now=held.hold_expires_at - timedelta(minutes=1)) == 0
    assert offer_free_times(now=held.hold_expires_at) == 1
    assert len(offers(entry)) == 1


def test_a_reschedule_away_is_offered(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours={3: [(600, 660)], 4: [(600, 660)]})
    make_room()
    db.session.commit()
    booked = book(service.id)
    entry, _ = join(service.id)  # Thursday only
    bookings.reschedule(
        booked,
        THURSDAY_10 + timedelta(days=1),
        actor=Actor.patient(),
        now=later(1),
        enforce_cutoff=False,
    )
    assert offer_free_times(now=later(2)) == 1
    assert offers(entry)[0].starts_at == THURSDAY_10


def test_new_working_hours_are_offered(clinic):
    service, therapist = clinic
    book(service)
    entry, _ = join(service)
    assert offer_free_times(now=later(1)) == 0
    db.session.add(
        WorkingHours(therapist_id=therapist, weekday=3, start_minute=840, end_minute=900)
    )
    db.session.commit()
    assert offer_free_times(now=later(2)) == 1
    assert offers(entry)[0].starts_at == THURSDAY_10 + timedelta(hours=4)


def test_a_lifted_closure_is_offered(clinic):
    service, _ = clinic
    db.session.add(
        Closure(
            starts_at=THURSDAY_10 - timedelta(hours=2),
            ends_at=THURSDAY_10 + timedelta(hours=4),
            reason="Training day",
        )
    )
    db.session.commit()
    entry, _ = join(service)
    assert offer_free_times(now=later(1)) == 0
    db.session.execute(delete(Closure))
    db.session.commit()
    assert offer_free_times(now=later(2)) == 1
    assert len(offers(entry)) == 1


def test_the_offer_blocks_the_time_like_a_hold(clinic):
    service, _ = clinic
    join(service)
    assert offer_free_times(now=later(1)) == 1
    with pytest.raises(BookingError) as refusal:
        book(service, n=9, now=later(2))
    assert refusal.value.reason == "taken"


def test_the_database_itself_refuses_a_booking_over_a_live_offer(clinic):
    service, _ = clinic
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no exclusion constraints; the verbs serialise writers there")
    join(service)
    offer_free_times(now=later(1))
    reservation = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.OFFERED))
    copy = {
        c: getattr(reservation, c)
        for c in (
            "patient_id",
            "service_id",
            "therapist_id",
            "room_id",
            "starts_at",
            "ends_at",
            "busy_until",
            "duration_minutes",
            "price_pence",
        )
    }
    db.session.add(Booking(**copy, status=BookingStatus.CONFIRMED))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_an_expired_offer_never_blocks_and_moves_to_the_next_entry(clinic):
    service, _ = clinic
    first, _ = join(service, 1, now=NOW)
    second, _ = join(service, 2, now=later(1))
    assert offer_free_times(now=later(2)) == 1
    [offer] = offers(first)
    assert offers(second) == []
    expiry = offer.expires_at
    # Past its expiry the time is bookable even before any sweep...
    assert offer_free_times(now=expiry - timedelta(seconds=1)) == 0
    # ...and the next pass ends the offer and offers the time to the next in line.
    assert offer_free_times(now=expiry) == 1
    assert [o.entry_id for o in offers(first, OfferState.EXPIRED)] == [first]
    assert len(offers(second)) == 1
    # The first patient, who let it expire, is not offered the same time again.
    third_expiry = offers(second)[0].expires_at
    assert offer_free_times(now=third_expiry) == 0
    assert offers() == []


def test_a_booking_verb_after_expiry_gets_the_time(clinic):
    service, _ = clinic
    join(service)
    offer_free_times(now=later(1))
    [offer] = offers()
    booked = book(service, n=5, now=offer.expires_at)
    assert db.session.get(Booking, booked).starts_at == THURSDAY_10
    assert [o.id for o in offers(state=OfferState.EXPIRED)] == [offer.id]


def test_nobody_holds_two_offers_at_once(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours={3: [(600, 900)]})
    make_room()
    db.session.commit()
    entry, _ = join(service.id)
    assert offer_free_times(now=later(1)) == 1
    assert offer_free_times(now=later(2)) == 0
    assert len(offers(entry)) == 1


def test_held_screen_entries_only_get_times_leaving_the_day_to_get_cleared(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    # From Tuesday 21:00, Thursday 10:00's deadline (24 hours before it) leaves no 24 hours
    # to get cleared; Friday 10:00's deadline is Thursday 10:00, after Wednesday's working day.
    make_therapist(services=[service], hours={3: [(600, 660)], 4: [(600, 660)]})
    make_room()
    db.session.commit()
    now = THURSDAY_10 - timedelta(hours=37)
    entry, _ = join(
        service.id, screen=severe(), now=now, last_day=(THURSDAY_10 + timedelta(days=1)).date()
    )
    assert offer_free_times(now=now) == 1
    assert offers(entry)[0].starts_at == THURSDAY_10 + timedelta(days=1)


def test_a_released_hold_is_offered(clinic):
    from booking.models import ClearanceOutcome, ClinicianKind
    from booking.services import clearance

    service, _ = clinic
    held_id = book(service, screen=severe(), now=NOW - timedelta(days=1))
    entry, _ = join(service)
    assert offer_free_times(now=later(1)) == 0  # the hold still blocks the time
    clearance.attest(
        held_id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.NOT_CLEARED,
            clinician_name="Dr Patel",
            clinician_kind=ClinicianKind.GP,
            consultation_date=NOW.date(),
            truthful=True,
        ),
        actor=Actor.patient(),
        now=later(2),
    )
    assert db.session.get(Booking, held_id).status is BookingStatus.RELEASED
    assert offer_free_times(now=later(3)) == 1
    assert offers(entry)[0].starts_at == THURSDAY_10
