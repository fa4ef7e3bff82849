"""A clinic for the clearance tests: a service, a deep-pressure one, their therapist, a room.

Shared by the tests of the clearance verbs, the screen as the verbs use it and the links
sent to a patient's clinician: the same fixed ``NOW`` (a Monday), the Friday slot they
book, a booking through the real verb and a clinician's statement with sensible defaults.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from booking.extensions import db
from booking.models import ClearanceOutcome, ClinicianKind
from booking.services import bookings, clearance
from booking.services.audit import Actor
from tests.support.builders import make_room, make_service, make_therapist

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
FRIDAY_10 = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)


def make_clearance_clinic() -> tuple[int, int, int]:
    """Commit a service, a deep-pressure service, a therapist for both and a room.

    Returns ``(service_id, deep_service_id, therapist_id)``.
    """
    service = make_service(durations=((60, 5000),))
    deep = make_service(durations=((60, 6000),), deep_pressure=True)
    therapist = make_therapist(services=[service, deep])
    make_room()
    db.session.commit()
    return service.id, deep.id, therapist.id


def book(service_id, therapist_id, screen, start=FRIDAY_10, email="p@example.org", now=NOW):
    return bookings.book(
        bookings.BookingRequest(
            service_id=service_id,
            minutes=60,
            start=start,
            therapist_id=therapist_id,
            name="Pat Smith",
            email=email,
            phone="+447700900123",
            screen=screen,
        ),
        actor=Actor.patient(),
        now=now,
    ).booking


def cleared(outcome=ClearanceOutcome.CLEARED, ticks=(), **changes):
    values = {
        "outcome": outcome,
        "clinician_name": "Dr Patel",
        "clinician_kind": ClinicianKind.GP,
        "consultation_date": date(2027, 3, 8),
        "restriction_ticks": ticks,
        "truthful": True,
    }
    values.update(changes)
    return clearance.ClearanceStatement(**values)
