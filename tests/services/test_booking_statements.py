"""A booking costs a fixed, small number of SQL statements, and a refusal reads no more.

Counts, not timings: which statements a verb sends is deterministic. Each round trip is
time a patient waits and time the write lock is held, so the count is part of the design
(see README, Performance).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.scheduling import Slot
from booking.services import bookings, recheck
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from tests.support.builders import make_booking, make_room, make_service, make_therapist
from tests.support.database import on_postgresql, statements_sent
from tests.support.screens import fine

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday
THURSDAY_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)


def inserted_tables(sent: list[str]) -> list[str]:
    # On PostgreSQL several INSERTs share one statement (data-modifying CTEs).
    return sorted(table for s in sent for table in re.findall(r"INSERT INTO (\w+)", s))


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    therapists = [make_therapist(services=[service]) for _ in range(2)]
    rooms = [make_room(), make_room()]
    current_policy()  # a request's policy is read at its start, before the verb runs
    return service, therapists, rooms


def request(service, therapist, start=THURSDAY_10, *, email="new@example.org"):
    return bookings.BookingRequest(
        service_id=service.id,
        minutes=60,
        start=start,
        therapist_id=therapist.id if therapist else None,
        name="Pat Patient",
        email=email,
        phone="+447700900123",
        screen=fine(),
    )


def test_a_new_patients_online_booking_takes_six_statements_on_postgresql(clinic):
    service, therapists, _ = clinic
    wanted = request(service, therapists[0])  # the test's own reads, before counting
    with statements_sent() as sent:
        result = bookings.book(wanted, actor=Actor.patient(), now=NOW)
    # One read of the small facts (form key, patient, caps, ran-out holds), the service with
    # its lengths, the re-check's window; the patient and the booking, whose ids the rest
    # need; then the rows nothing reads back, with the commit: in one statement on
    # PostgreSQL, one each on SQLite.
    assert len(sent) == (6 if on_postgresql() else 9), "\n".join(sent)
    assert sum(s.startswith("SELECT") for s in sent) == 3
    assert inserted_tables(sent) == [
        "audit_events",
        "bookings",
        "intakes",
        "manage_tokens",
        "outbox_messages",
        "patients",
    ]
    assert result.created
    message = db.session.scalar(select(OutboxMessage))
    assert message.booking_id == result.booking.id
    assert message.to_address == "new@example.org"
    assert message.snapshot["therapist_name"] == therapists[0].name
    assert message.snapshot["service_name"] == service.name
    assert message.snapshot["public_id"] == result.booking.public_id


def test_a_returning_patient_any_therapist_takes_five_on_postgresql(clinic):
    service, therapists, _ = clinic
    later = request(service, None, THURSDAY_10 + timedelta(hours=2))
    names = [t.name for t in therapists]
    bookings.book(request(service, therapists[0]), actor=Actor.patient(), now=NOW)
    with statements_sent() as sent:
        result = bookings.book(later, actor=Actor.patient(), now=NOW)
    assert len(sent) == (5 if on_postgresql() else 8), "\n".join(sent)
    assert "patients" not in inserted_tables(sent)
    # The answer's therapist came with the re-check's window, not from a query of its own.
    assert result.therapist == (therapists[1].slug, names[1])
    # Any therapist: the fairer one (no booking that day) gets it, as before.
    assert result.booking.therapist_id == therapists[1].id
    snapshot = db.session.scalar(
        select(OutboxMessage.snapshot).where(OutboxMessage.booking_id == result.booking.id)
    )
    assert snapshot["therapist_name"] == names[1]


def test_a_replayed_form_key_only_reads(clinic):
    service, therapists, _ = clinic
    wanted = bookings.BookingRequest(
        **{**request(service, therapists[0]).__dict__, "form_key": "k1"}
    )
    first = bookings.book(wanted, actor=Actor.patient(), now=NOW)
    with statements_sent() as sent:
        again = bookings.book(wanted, actor=Actor.patient(), now=NOW)
    assert not again.created and again.booking.id == first.booking.id
    # The facts, then the booking with the service and therapist its answer shows.
    assert len(sent) <= 4 and all(s.startswith("SELECT") for s in sent), sent
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_taken_time_is_answered_from_the_window_the_recheck_read(clinic):
    service, therapists, rooms = clinic
    make_booking(starts_at=THURSDAY_10, service=service, therapist=therapists[0], room=rooms[0])
    with statements_sent() as sent, pytest.raises(BookingError) as refused:
        bookings.book(request(service, therapists[0]), actor=Actor.patient(), now=NOW)
    assert refused.value.reason == "taken"
    alternatives = refused.value.alternatives
    assert alternatives and THURSDAY_10 not in [a.start for a in alternatives]
    # Nearest first: the start right after the booking and its buffer (09:00 would run into it).
    assert alternatives[0].start == THURSDAY_10 + timedelta(minutes=75)
    window_reads = [s for s in sent if "AS kind" in s]
    assert len(window_reads) == 1, "the refusal computed its alternatives again"
    assert not [s for s in sent if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_race_lost_at_the_database_offers_nothing_overlapping_the_lost_slot():
    wanted = THURSDAY_10
    hour = timedelta(hours=1)

    def slot(start):
        return Slot(start, start + hour, start + hour + timedelta(minutes=15), (1,))

    free = [slot(wanted + timedelta(minutes=m)) for m in (-120, -60, -30, 0, 30, 75, 120)]
    check = recheck.Recheck(wanted, slot(wanted), free, window=None)
    offered = [s.start - wanted for s in check.alternatives(lost_to_overlap=True)]
    # -60's buffer, -30 and +30 overlap the slot another writer may hold now; +75 clears it.
    assert sorted(offered) == [-2 * hour, timedelta(minutes=75), 2 * hour]
    # Refused by the re-check itself, the window is up to date: only the start is left out.
    check = recheck.Recheck(wanted, None, free, window=None)
    assert timedelta(minutes=30) in [s.start - wanted for s in check.alternatives()]
