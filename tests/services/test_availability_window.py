"""The availability loader reads only the rows that can matter for its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from booking.extensions import db
from booking.models import BookingStatus, Closure, TimeOff
from booking.services.availability import (
    MAX_BUSY_SPAN,
    load_window,
    window_sql,
)
from tests.support.builders import make_booking, make_room, make_service, make_therapist

# A window as slots_for would ask for it (the UTC span of some local days).
START = datetime(2027, 3, 15, 0, tzinfo=UTC)
END = datetime(2027, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5500),))
    therapist = make_therapist(services=[service])
    other = make_therapist(services=[service])
    room = make_room()
    return service, therapist, other, room


def book(clinic, starts_at: datetime, **fields):
    service, therapist, _, room = clinic
    return make_booking(
        starts_at=starts_at, service=service, therapist=therapist, room=room, **fields
    )


def loaded(clinic, therapist_id=None):
    window = load_window(clinic[0].id, START, END, therapist_id)
    return window, {b.start for b in window.bookings}


def test_bookings_before_the_window_and_cancelled_ones_are_not_loaded(clinic):
    long_ago = book(clinic, datetime(2026, 6, 1, 10, tzinfo=UTC))
    just_before = book(clinic, START - timedelta(minutes=75))  # busy until exactly START
    cancelled = book(clinic, START + timedelta(hours=10), status=BookingStatus.CANCELLED)
    for status in (BookingStatus.COMPLETED, BookingStatus.EXPIRED, BookingStatus.RELEASED):
        book(clinic, START + timedelta(hours=12), status=status)
    inside = book(clinic, START + timedelta(hours=9))
    after = book(clinic, END + timedelta(hours=1))
    _, starts = loaded(clinic)
    assert starts == {inside.starts_at}
    for booking in (long_ago, just_before, cancelled, after):
        assert booking.starts_at not in starts


def test_blocking_statuses_are_loaded_with_their_details(clinic):
    expiry = START + timedelta(hours=1)
    held = book(
        clinic, START + timedelta(hours=9), status=BookingStatus.HELD, hold_expires_at=expiry
    )
    arrived = book(clinic, START + timedelta(hours=11), status=BookingStatus.ARRIVED)
    # An expired hold not yet marked is still loaded: the scheduler, given now, ignores it.
    stale = book(
        clinic,
        START + timedelta(hours=13),
        status=BookingStatus.HELD,
        hold_expires_at=START - timedelta(days=3),
    )
    window, starts = loaded(clinic)
    assert starts == {held.starts_at, arrived.starts_at, stale.starts_at}
    by_start = {b.start: b for b in window.bookings}
    assert by_start[held.starts_at].status == "held"
    assert by_start[held.starts_at].hold_expires_at == expiry
    assert by_start[held.starts_at].busy_until == held.busy_until
    assert by_start[arrived.starts_at].room_id == clinic[3].id
    assert by_start[arrived.starts_at].therapist_id == clinic[1].id


def test_a_booking_that_started_before_the_window_but_is_still_busy_is_loaded(clinic):
    service, _, other, _ = clinic
    straddling = book(clinic, START - timedelta(minutes=30))  # busy until START + 45 min
    long_one = make_booking(  # another therapist and room: bookings may not overlap
        starts_at=START - timedelta(hours=3),
        minutes=180,
        buffer_minutes=15,
        service=service,
        therapist=other,
        room=make_room(),
    )
    _, starts = loaded(clinic)
    assert starts == {straddling.starts_at, long_one.starts_at}
    assert long_one.starts_at > START - MAX_BUSY_SPAN


def test_bookings_of_every_therapist_and_room_are_loaded(clinic):
    # Room bookings matter even for a therapist filter: the room may be the clash.
    service, therapist, other, room = clinic
    mine = book(clinic, START + timedelta(hours=9))
    theirs = make_booking(
        starts_at=START + timedelta(hours=11), service=service, therapist=other, room=room
    )
    window, starts = loaded(clinic, therapist_id=therapist.id)
    assert starts == {mine.starts_at, theirs.starts_at}
    assert [t.therapist_id for t in window.therapists] == [therapist.id]
    assert window.room_ids == (room.id,)


def test_time_off_and_closures_overlapping_the_window_are_loaded(clinic):
    _, therapist, other, _ = clinic
    rows = {
        "before": (START - timedelta(days=2), START),  # ends as the window starts
        "straddling": (START - timedelta(days=1), START + timedelta(hours=1)),
        "inside": (START + timedelta(days=1), START + timedelta(days=1, hours=2)),
        "covering": (START - timedelta(days=30), END + timedelta(days=30)),
        "after": (END, END + timedelta(days=1)),
    }
    for reason, (starts, ends) in rows.items():
        db.session.add(TimeOff(therapist=therapist, starts_at=starts, ends_at=ends, reason=reason))
        db.session.add(Closure(starts_at=starts, ends_at=ends, reason=reason))
    db.session.add(TimeOff(therapist=other, starts_at=START, ends_at=END, reason="other"))
    db.session.flush()
    expected = {rows[k] for k in ("straddling", "inside", "covering")}

    window = load_window(clinic[0].id, START, END, None)
    assert {(c.start, c.end) for c in window.closures} == expected
    time_off = {t.therapist_id: {(i.start, i.end) for i in t.time_off} for t in window.therapists}
    assert time_off[therapist.id] == expected
    assert time_off[other.id] == {(START, END)}


def test_only_therapists_offering_the_service_are_loaded(clinic):
    service, therapist, other, _ = clinic
    make_therapist(services=[make_service()])  # offers something else
    make_therapist(services=[service], active=False)
    window = load_window(service.id, START, END, None)
    assert {t.therapist_id for t in window.therapists} == {therapist.id, other.id}
    assert set(window.slugs) == {therapist.id, other.id}


def test_the_bookings_part_is_an_index_range_scan_on_sqlite(clinic):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on statistics")
    for n in range(50):
        book(clinic, datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(hours=2 * n))
    # The statement load_window runs, as the driver gets it.
    statement, parameters = window_sql(db.engine.dialect, clinic[0].id, START, END, None)
    connection = db.session.connection()
    explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", tuple(parameters))
    plan = [row[-1] for row in explained]
    booking_steps = [step for step in plan if " bookings " in f"{step} "]
    assert booking_steps, plan
    assert all("SEARCH bookings USING INDEX ix_bookings_start" in s for s in booking_steps), plan
    assert not [s for s in plan if s.startswith("SCAN bookings")], plan
    # The other parts are range scans or tiny tables; none reads all of time off or closures.
    assert not [s for s in plan if s.startswith(("SCAN time_off", "SCAN closures"))], plan
    assert connection.execute(text("SELECT 1")).scalar() == 1
