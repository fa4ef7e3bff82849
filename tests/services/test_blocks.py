"""Time off and closures: refused when backwards, audited, and never cancel a booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import AuditEvent, BookingStatus, Closure, OutboxMessage, TimeOff
from booking.services import blocks
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.builders import make_booking, make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
STAFF = Actor.system()
START = datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
END = datetime(2027, 3, 11, 13, 0, tzinfo=UTC)


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_time_off_returns_the_bookings_it_overlaps_and_cancels_none(app):
    inside = make_booking(starts_at=START + timedelta(hours=2))
    therapist = inside.therapist
    make_booking(starts_at=END + timedelta(hours=1), therapist=therapist)  # after the block
    other = make_booking(starts_at=START + timedelta(hours=1))  # another therapist
    expired = make_booking(
        starts_at=START,
        therapist=therapist,
        status=BookingStatus.HELD,
        hold_expires_at=NOW - timedelta(minutes=1),
    )
    db.session.commit()
    result = blocks.add_time_off(therapist.id, START, END, "Dentist", actor=STAFF, now=NOW)
    assert [b.id for b in result.overlapping] == [inside.id]
    assert other.id not in [b.id for b in result.overlapping]
    assert expired.id not in [b.id for b in result.overlapping]
    assert inside.status is BookingStatus.CONFIRMED
    assert count(OutboxMessage) == 0
    assert actions() == ["schedule.time_off_added"]


def test_closure_overlaps_every_therapist(app):
    first = make_booking(starts_at=START)
    second = make_booking(starts_at=START + timedelta(hours=2))
    db.session.commit()
    result = blocks.add_closure(START, END, "Boiler", actor=STAFF, now=NOW)
    assert {b.id for b in result.overlapping} == {first.id, second.id}
    assert [c.reason for c in blocks.upcoming_closures(NOW)] == ["Boiler"]


@pytest.mark.parametrize("end", [START, START - timedelta(minutes=1)])
def test_a_block_must_end_after_it_starts(app, end):
    therapist = make_therapist()
    db.session.commit()
    with pytest.raises(BookingError) as refused:
        blocks.add_time_off(therapist.id, START, end, "", actor=STAFF, now=NOW)
    assert refused.value.reason == "invalid"
    with pytest.raises(BookingError):
        blocks.add_closure(START, end, "", actor=STAFF, now=NOW)
    assert count(TimeOff) == count(Closure) == 0
    assert actions() == []


def test_a_block_already_over_is_refused(app):
    with pytest.raises(BookingError):
        blocks.add_closure(
            NOW - timedelta(hours=3), NOW - timedelta(hours=1), "", actor=STAFF, now=NOW
        )


def test_time_off_for_an_unknown_therapist_is_refused(app):
    with pytest.raises(BookingError) as refused:
        blocks.add_time_off(999, START, END, "", actor=STAFF, now=NOW)
    assert refused.value.reason == "not_found"


def test_remove_blocks_and_audit(app):
    therapist = make_therapist()
    db.session.commit()
    time_off = blocks.add_time_off(therapist.id, START, END, "", actor=STAFF, now=NOW).block
    closure = blocks.add_closure(START, END, "", actor=STAFF, now=NOW).block
    blocks.remove_time_off(time_off.id, actor=STAFF, now=NOW)
    blocks.remove_closure(closure.id, actor=STAFF, now=NOW)
    assert count(TimeOff) == count(Closure) == 0
    assert actions()[-2:] == ["schedule.time_off_removed", "schedule.closure_removed"]
    with pytest.raises(BookingError):
        blocks.remove_closure(closure.id, actor=STAFF, now=NOW)


def test_upcoming_lists_only_blocks_not_yet_over(app):
    therapist = make_therapist()
    db.session.add(
        TimeOff(
            therapist_id=therapist.id,
            starts_at=NOW - timedelta(days=2),
            ends_at=NOW - timedelta(days=1),
        )
    )
    db.session.commit()
    blocks.add_time_off(therapist.id, START, END, "Course", actor=STAFF, now=NOW)
    assert [t.reason for t in blocks.upcoming_time_off(NOW)] == ["Course"]
