"""Reception may book outside the normal rules with a reason; never into a conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import AuditEvent, BookingSource, OutboxMessage
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.screens import fine

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
EVENING = datetime(2027, 3, 9, 19, 0, tzinfo=UTC)  # after hours


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    make_room()
    db.session.commit()
    return service.id, therapist.id


def request(service, therapist, start, **changes):
    values = {
        "service_id": service,
        "minutes": 60,
        "start": start,
        "therapist_id": therapist,
        "name": "Caller",
        "email": "caller@example.org",
        "phone": "+447700900123",
        "source": BookingSource.RECEPTION,
        "screen": fine(),
    }
    values.update(changes)
    return bookings.BookingRequest(**values)


def test_without_an_override_after_hours_is_refused(clinic):
    with pytest.raises(BookingError) as refused:
        bookings.book(request(*clinic, EVENING), actor=Actor.staff(None), now=NOW)
    assert refused.value.reason == "taken"


def test_with_an_override_and_a_reason_reception_books_after_hours(clinic):
    booking = bookings.book(
        request(*clinic, EVENING, override_reason="Regular patient, agreed by Amira"),
        actor=Actor.staff(None),
        now=NOW,
    ).booking
    assert booking.starts_at == EVENING
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.booking_id == booking.id))
    assert event.details["override_reason"] == "Regular patient, agreed by Amira"


def test_an_override_inside_the_notice_period_is_allowed(clinic):
    soon = NOW + timedelta(minutes=30)
    booking = bookings.book(
        request(*clinic, soon, override_reason="Walk-in patient today"),
        actor=Actor.staff(None),
        now=NOW,
    ).booking
    assert booking.starts_at == soon


def test_an_override_never_double_books(clinic):
    bookings.book(
        request(*clinic, EVENING, override_reason="Late evening favour"),
        actor=Actor.staff(None),
        now=NOW,
    )
    with pytest.raises(BookingError) as refused:
        bookings.book(
            request(
                *clinic,
                EVENING + timedelta(minutes=30),
                override_reason="Another favour tonight",
                email="b@example.org",
            ),
            actor=Actor.staff(None),
            now=NOW,
        )
    assert refused.value.reason == "taken"


def test_patients_cannot_override(clinic):
    with pytest.raises(BookingError) as refused:
        bookings.book(
            request(*clinic, EVENING, override_reason="please", source=BookingSource.ONLINE),
            actor=Actor.patient(),
            now=NOW,
        )
    assert refused.value.reason == "override_not_allowed"


def test_cancel_without_notifying_queues_no_message(clinic):
    booking = bookings.book(
        request(*clinic, datetime(2027, 3, 10, 10, tzinfo=UTC)), actor=Actor.staff(None), now=NOW
    ).booking
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    bookings.cancel(booking.id, actor=Actor.staff(None), now=NOW, notify=False)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_staff_move_to_a_named_therapist_with_an_override(clinic):
    service, therapist = clinic
    booking = bookings.book(
        request(service, therapist, datetime(2027, 3, 10, 10, tzinfo=UTC)),
        actor=Actor.staff(None),
        now=NOW,
    ).booking
    moved = bookings.reschedule(
        booking.id,
        EVENING,
        actor=Actor.staff(None),
        now=NOW,
        enforce_cutoff=False,
        therapist_id=therapist,
        override_reason="Late slot agreed",
        notify=False,
    )
    assert moved.starts_at == EVENING
