"""Two patients never get the same therapist or room at once, even when racing.

Real threads against the real database (SQLite file with BEGIN IMMEDIATE, or PostgreSQL
with its exclusion constraints), each with its own application context and session.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, BookingSource, BookingStatus
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.screens import fine, severe

# Threads race on their own connections: the data they race for must be committed.
pytestmark = pytest.mark.committed

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday
THURSDAY_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)


def race(app, attempts, *, workers=None):
    """Run every ``attempt(i)`` in its own thread at once; return a Counter of outcomes."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = [""] * len(attempts)

    def run(i, attempt):
        with app.app_context():
            barrier.wait()
            try:
                attempt(i)
                outcomes[i] = "booked"
            except BookingError as refusal:
                outcomes[i] = refusal.reason
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def request(service_id, therapist_id, start, minutes=60, n=0):
    return bookings.BookingRequest(
        service_id=service_id,
        minutes=minutes,
        start=start,
        therapist_id=therapist_id,
        name=f"Patient {n}",
        email=f"patient{n}@example.org",
        phone="+447700900123",
        screen=fine(),
    )


def blocking_count() -> int:
    db.session.rollback()  # end this thread's read snapshot: see what the racers wrote
    return db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.CONFIRMED)
    )


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000), (30, 3000)), buffer_minutes=15)
    therapist = make_therapist(services=[service])
    rooms = [make_room(), make_room()]
    db.session.commit()
    # Plain ids: ORM objects belong to this thread's session and must not cross threads.
    return service.id, therapist.id, [room.id for room in rooms]


def test_32_patients_racing_for_one_slot_get_one_booking(app, clinic):
    service, therapist, _ = clinic
    attempts = [
        (
            lambda i: bookings.book(
                request(service, therapist, THURSDAY_10, n=i), actor=Actor.patient(), now=NOW
            )
        )
        for _ in range(32)
    ]
    outcomes = race(app, attempts)
    assert outcomes == Counter({"booked": 1, "taken": 31})
    assert blocking_count() == 1


def test_overlapping_spans_of_different_lengths_give_one_booking(app, clinic):
    service, therapist, _ = clinic
    attempts = [
        lambda i: bookings.book(
            request(service, therapist, THURSDAY_10, 60, i), actor=Actor.patient(), now=NOW
        ),
        lambda i: bookings.book(
            request(service, therapist, THURSDAY_10 + timedelta(minutes=30), 30, i),
            actor=Actor.patient(),
            now=NOW,
        ),
    ] * 8
    outcomes = race(app, attempts)
    assert outcomes["booked"] == 1
    assert blocking_count() == 1


def test_two_bookings_needing_the_only_free_room_give_one(app):
    service = make_service(durations=((60, 5000),))
    first, second = make_therapist(services=[service]), make_therapist(services=[service])
    make_room()
    db.session.commit()
    service, first, second = service.id, first.id, second.id
    attempts = [
        lambda i, t=t: bookings.book(
            request(service, t, THURSDAY_10, n=i), actor=Actor.patient(), now=NOW
        )
        for t in (first, second) * 6
    ]
    outcomes = race(app, attempts)
    assert outcomes["booked"] == 1
    assert blocking_count() == 1


def test_a_reschedule_racing_a_new_booking_for_the_same_time_gives_one(app, clinic):
    service, therapist, _ = clinic
    existing = bookings.book(
        request(service, therapist, THURSDAY_10 + timedelta(hours=4), n=99),
        actor=Actor.patient(),
        now=NOW,
    ).booking
    booking_id = existing.id
    db.session.commit()

    def move(i):
        bookings.reschedule(booking_id, THURSDAY_10, actor=Actor.patient(), now=NOW)

    def new(i):
        bookings.book(request(service, therapist, THURSDAY_10, n=i), actor=Actor.patient(), now=NOW)

    outcomes = race(app, [move, new] * 4)
    assert outcomes["booked"] == 1
    db.session.rollback()  # end this thread's read snapshot: see what the racers wrote
    at_target = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.starts_at == THURSDAY_10, Booking.status == BookingStatus.CONFIRMED)
    )
    assert at_target == 1
    moved = db.session.get(Booking, booking_id).starts_at == THURSDAY_10
    # Either the move won (one booking in all) or a new booking did (the old one stays).
    assert blocking_count() == (1 if moved else 2)


def test_database_refuses_an_overlap_written_behind_the_service(app, clinic):
    """PostgreSQL's exclusion constraint is the last line of defence."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no exclusion constraints; writers are serialised instead")
    from sqlalchemy.exc import IntegrityError

    from booking.models import Room, Service, Therapist
    from tests.support.builders import make_booking

    service, therapist, rooms = clinic
    service, therapist = db.session.get(Service, service), db.session.get(Therapist, therapist)
    rooms = [db.session.get(Room, r) for r in rooms]
    make_booking(starts_at=THURSDAY_10, service=service, therapist=therapist, room=rooms[0])
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_booking(
            starts_at=THURSDAY_10 + timedelta(minutes=30),
            service=service,
            therapist=therapist,
            room=rooms[1],
        )
        db.session.commit()
    db.session.rollback()


def test_a_hold_too_soon_to_clear_is_refused_with_the_reason_and_when_holds_open(app):
    service = make_service()
    therapist = make_therapist(services=[service])
    make_room()
    monday_10 = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)
    friday_evening = datetime(2027, 3, 12, 19, 0, tzinfo=UTC)
    wanted = request(service.id, therapist.id, monday_10)
    held = replace(wanted, screen=severe())
    with pytest.raises(BookingError) as online:
        bookings.book(held, actor=Actor.patient(), now=friday_evening)
    assert online.value.reason == "taken"
    assert "until Saturday 13 March at 17:00" in online.value.message
    assert "call us" in online.value.message and "just taken" not in online.value.message
    by_phone = replace(held, source=BookingSource.RECEPTION)
    with pytest.raises(BookingError) as desk:
        bookings.book(by_phone, actor=Actor.staff(None), now=friday_evening)
    assert "until Saturday 13 March at 17:00" in desk.value.message
    assert (
        "call us" not in desk.value.message and "override the booking rules" in desk.value.message
    )
    # As it says, reception can override; a clash then is a clash, not "too soon".
    overridden = replace(by_phone, override_reason="GP appointment booked for Monday")
    made = bookings.book(overridden, actor=Actor.staff(None), now=friday_evening)
    assert made.booking.status is BookingStatus.HELD
    with pytest.raises(BookingError) as clash:
        bookings.book(
            replace(overridden, email="other@example.org"),
            actor=Actor.staff(None),
            now=friday_evening,
        )
    assert "just taken" in clash.value.message
    # On a Wednesday the same start is simply too soon, and later ones are offered.
    wednesday = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    thursday_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
    soon = replace(held, start=thursday_10)
    with pytest.raises(BookingError) as early:
        bookings.book(soon, actor=Actor.patient(), now=wednesday)
    assert "too soon for us to hold" in early.value.message
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1  # the override
