"""The database itself refuses impossible rows, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from booking.extensions import db
from booking.models import Booking, BookingStatus, Closure, ServiceDuration, TimeOff, WorkingHours
from tests.support.builders import make_booking, make_service, make_therapist

START = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)


def assert_refused(add) -> None:
    with pytest.raises(IntegrityError):
        add()
        db.session.flush()
    db.session.rollback()


def test_booking_must_end_after_it_starts(app):
    assert_refused(lambda: make_booking(starts_at=START, ends_at=START, busy_until=START))


def test_booking_must_be_busy_at_least_until_it_ends(app):
    booking = make_booking(starts_at=START)
    booking.busy_until = booking.ends_at - timedelta(minutes=1)
    assert_refused(db.session.flush)


def test_booking_duration_must_be_positive(app):
    booking = make_booking(starts_at=START)
    booking.duration_minutes = 0
    assert_refused(db.session.flush)


def test_held_booking_needs_a_hold_expiry(app):
    assert_refused(lambda: make_booking(starts_at=START, status=BookingStatus.HELD))


def test_held_booking_with_expiry_is_accepted(app):
    booking = make_booking(
        starts_at=START, status=BookingStatus.HELD, hold_expires_at=START - timedelta(days=1)
    )
    db.session.commit()
    assert db.session.get(Booking, booking.id).status is BookingStatus.HELD


def test_unknown_booking_status_is_refused_by_the_database(app):
    booking = make_booking(starts_at=START)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE bookings SET status = 'teleported' WHERE id = :id"), {"id": booking.id}
        )
    db.session.rollback()


def test_service_duration_must_be_positive(app):
    service = make_service()
    assert_refused(
        lambda: db.session.add(ServiceDuration(service=service, minutes=0, price_pence=1))
    )


def test_a_service_cannot_offer_the_same_duration_twice(app):
    service = make_service(durations=((60, 5000),))
    assert_refused(
        lambda: db.session.add(ServiceDuration(service=service, minutes=60, price_pence=1))
    )


def test_working_hours_must_end_after_they_start(app):
    therapist = make_therapist(hours={})
    assert_refused(
        lambda: db.session.add(
            WorkingHours(therapist=therapist, weekday=0, start_minute=600, end_minute=540)
        )
    )


def test_working_hours_weekday_must_exist(app):
    therapist = make_therapist(hours={})
    assert_refused(
        lambda: db.session.add(
            WorkingHours(therapist=therapist, weekday=7, start_minute=540, end_minute=600)
        )
    )


def test_working_hours_may_cross_midnight(app):
    therapist = make_therapist(hours={4: [(22 * 60, 26 * 60)]})
    db.session.commit()
    assert therapist.working_hours[0].end_minute == 26 * 60


def test_time_off_and_closures_must_end_after_they_start(app):
    therapist = make_therapist()
    assert_refused(
        lambda: db.session.add(TimeOff(therapist=therapist, starts_at=START, ends_at=START))
    )
    assert_refused(
        lambda: db.session.add(Closure(starts_at=START, ends_at=START - timedelta(hours=1)))
    )


def test_timestamps_come_back_as_aware_utc(app):
    booking = make_booking(starts_at=START)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Booking, booking.id)
    assert loaded.starts_at == START
    assert loaded.starts_at.tzinfo is not None
    assert loaded.starts_at.utcoffset() == timedelta(0)
    assert loaded.created_at.tzinfo is not None


def test_naive_datetimes_are_refused(app):
    with pytest.raises(StatementError, match="naive"):
        db.session.add(Closure(starts_at=datetime(2027, 1, 1), ends_at=datetime(2027, 1, 2)))
        db.session.flush()
    db.session.rollback()
