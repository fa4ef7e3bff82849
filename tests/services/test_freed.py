"""Freed times: a booked time that comes free before it begins is recorded with its cause,
for the refill figures; a time already begun frees nothing anyone could take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import FreedTime
from booking.services import freed
from tests.support.builders import make_booking, make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)


def recorded() -> list[FreedTime]:
    return list(db.session.scalars(select(FreedTime).order_by(FreedTime.id)))


def test_a_future_time_is_recorded_with_its_cause(app):
    booking = make_booking(starts_at=START)
    freed.record(booking, "cancelled", now=NOW)
    db.session.commit()
    [row] = recorded()
    assert (row.starts_at, row.ends_at, row.cause, row.freed_at) == (
        START,
        booking.ends_at,
        "cancelled",
        NOW,
    )
    assert (row.service_id, row.therapist_id, row.booking_id) == (
        booking.service_id,
        booking.therapist_id,
        booking.id,
    )


def test_a_move_records_the_old_time_and_therapist(app):
    booking = make_booking(starts_at=START + timedelta(days=1))
    before = make_therapist()
    freed.record(
        booking,
        "rescheduled",
        now=NOW,
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        therapist_id=before.id,
    )
    db.session.commit()
    [row] = recorded()
    assert (row.starts_at, row.ends_at, row.therapist_id) == (
        START,
        START + timedelta(hours=1),
        before.id,
    )


def test_a_time_already_begun_is_not_recorded(app):
    booking = make_booking(starts_at=NOW - timedelta(minutes=5))
    freed.record(booking, "cancelled", now=NOW)
    freed.record(make_booking(starts_at=NOW), "cancelled", now=NOW)
    db.session.commit()
    assert recorded() == []
