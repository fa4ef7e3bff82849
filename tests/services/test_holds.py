"""Clearance holds that ran out: found in SQL, marked expired once with their notice, and a
hold still running or already confirmed left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind, OutboxMessage
from booking.services import holds
from booking.services.audit import Actor
from booking.services.locking import run_in_write_transaction
from tests.support.builders import make_booking

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)


def held(expires_at: datetime) -> Booking:
    return make_booking(starts_at=START, status=BookingStatus.HELD, hold_expires_at=expires_at)


def status(booking: Booking) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).status


def notices(booking: Booking) -> list[MessageKind]:
    return list(
        db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.booking_id == booking.id))
    )


def test_anything_overdue_says_whether_a_hold_ran_out(app):
    held(NOW + timedelta(minutes=1))
    assert db.session.scalar(select(holds.anything_overdue(NOW))) is False
    assert db.session.scalar(select(holds.anything_overdue(NOW + timedelta(minutes=1)))) is True


def test_only_the_holds_that_ran_out_are_expired_each_with_its_notice(app):
    lapsed = held(NOW - timedelta(minutes=1))
    running = held(NOW + timedelta(hours=3))
    confirmed = make_booking(starts_at=START)
    expired = holds.expire_holds(now=NOW)
    assert expired == [lapsed.id]
    assert (status(lapsed), status(running), status(confirmed)) == (
        BookingStatus.EXPIRED,
        BookingStatus.HELD,
        BookingStatus.CONFIRMED,
    )
    assert notices(lapsed) == [MessageKind.HOLD_EXPIRED]
    assert notices(running) == []


def test_expiring_again_changes_nothing(app):
    lapsed = held(NOW - timedelta(minutes=1))
    assert holds.expire_holds(now=NOW) == [lapsed.id]
    assert holds.expire_holds(now=NOW + timedelta(minutes=5)) == []
    assert notices(lapsed) == [MessageKind.HOLD_EXPIRED]


def test_a_caller_that_knows_nothing_is_overdue_costs_no_change(app):
    lapsed = held(NOW - timedelta(minutes=1))
    done = run_in_write_transaction(
        lambda: holds.expire_overdue(now=NOW, actor=Actor.system(), known_overdue=False)
    )
    assert done == []
    assert status(lapsed) is BookingStatus.HELD
