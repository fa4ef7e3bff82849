"""The day of the visit: status transitions are compare-and-set, audited, and send no mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import AuditEvent, BookingStatus, OutboxMessage, StaffNote
from booking.services import visits
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.builders import make_booking

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
STAFF = Actor.system()


@pytest.fixture
def booking(app):
    booking = make_booking(starts_at=NOW + timedelta(hours=1))
    db.session.commit()
    return booking


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def no_mail():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_arrived_then_completed(booking):
    visits.mark_arrived(booking.id, actor=STAFF, now=NOW)
    assert booking.status is BookingStatus.ARRIVED
    visits.mark_completed(booking.id, actor=STAFF, now=NOW + timedelta(hours=2))
    assert booking.status is BookingStatus.COMPLETED
    assert actions() == ["booking.arrived", "booking.completed"]
    assert no_mail()


def test_completed_needs_an_arrival_first(booking):
    with pytest.raises(BookingError) as refused:
        visits.mark_completed(booking.id, actor=STAFF, now=NOW)
    assert refused.value.reason == "wrong_status"
    assert actions() == []


def test_arrival_is_refused_before_the_day_of_the_appointment(app):
    later = make_booking(starts_at=NOW + timedelta(days=2))
    db.session.commit()
    with pytest.raises(BookingError) as refused:
        visits.mark_arrived(later.id, actor=STAFF, now=NOW)
    assert refused.value.reason == "too_early"


def test_no_show_only_after_the_start(booking):
    with pytest.raises(BookingError) as refused:
        visits.mark_no_show(booking.id, actor=STAFF, now=NOW)
    assert refused.value.reason == "too_early"
    visits.mark_no_show(booking.id, actor=STAFF, now=NOW + timedelta(hours=1, minutes=15))
    assert booking.status is BookingStatus.NO_SHOW
    assert actions() == ["booking.no_show"]
    assert no_mail()


def test_a_second_click_changes_nothing(booking):
    visits.mark_arrived(booking.id, actor=STAFF, now=NOW)
    with pytest.raises(BookingError):
        visits.mark_arrived(booking.id, actor=STAFF, now=NOW)
    with pytest.raises(BookingError):
        visits.mark_no_show(booking.id, actor=STAFF, now=NOW + timedelta(hours=2))
    assert actions() == ["booking.arrived"]


def test_cancelled_booking_cannot_be_marked(app):
    cancelled = make_booking(starts_at=NOW - timedelta(hours=1), status=BookingStatus.CANCELLED)
    db.session.commit()
    for verb in (visits.mark_arrived, visits.mark_completed, visits.mark_no_show):
        with pytest.raises(BookingError):
            verb(cancelled.id, actor=STAFF, now=NOW)


def test_can_mark_agrees_with_the_verbs(booking):
    assert visits.can_mark(booking, BookingStatus.ARRIVED, NOW)
    assert not visits.can_mark(booking, BookingStatus.NO_SHOW, NOW)
    assert visits.can_mark(booking, BookingStatus.NO_SHOW, NOW + timedelta(hours=1))
    assert not visits.can_mark(booking, BookingStatus.COMPLETED, NOW)


def test_add_note_stores_it_and_audits_without_the_text(booking):
    note = visits.add_note(booking.id, "  Running late, 10 minutes  ", actor=STAFF, now=NOW)
    assert note.body == "Running late, 10 minutes"
    assert [n.id for n in visits.notes_for(booking.id)] == [note.id]
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "booking.note_added"
    assert "Running" not in repr(event.details)
    assert no_mail()


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_add_note_refuses_empty_or_long_text(booking, text):
    with pytest.raises(BookingError) as refused:
        visits.add_note(booking.id, text, actor=STAFF, now=NOW)
    assert refused.value.field == "body"
    assert db.session.scalar(select(func.count()).select_from(StaffNote)) == 0


def test_add_note_to_a_missing_booking(app):
    with pytest.raises(BookingError) as refused:
        visits.add_note(999, "hello", actor=STAFF, now=NOW)
    assert refused.value.reason == "not_found"
