"""The reads behind the reception calendars and the hold queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from booking.extensions import db
from booking.models import (
    BookingStatus,
    ClearanceOutcome,
    ClinicianKind,
    ClinicianLink,
    Closure,
    MessageKind,
    TimeOff,
)
from booking.services import clearance, clinician_links, reception_queries
from booking.services.audit import Actor
from tests.support.builders import make_booking, make_room, make_service, make_therapist
from tests.support.notify import book, make_clinic

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday
WEDNESDAY = date(2027, 3, 10)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # London is on UTC in March


@pytest.mark.parametrize(
    "day", [date(2027, 3, 8), date(2027, 3, 10), date(2027, 3, 14)], ids=["mon", "wed", "sun"]
)
def test_a_week_runs_monday_to_sunday(day):
    assert reception_queries.week_of(day) == (date(2027, 3, 8), date(2027, 3, 14))


def test_the_window_is_the_clinics_local_days_across_a_clock_change(app):
    # The clocks go forward in London on 28 March 2027: that day has 23 hours.
    start, end = reception_queries.days_window(date(2027, 3, 28), date(2027, 3, 28))
    assert start == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    start, end = reception_queries.days_window(date(2027, 7, 1), date(2027, 7, 2))
    assert start == datetime(2027, 6, 30, 23, 0, tzinfo=UTC)  # midnight in summer time
    assert end - start == timedelta(days=2)


@pytest.fixture
def clinic(app):
    service = make_service()
    first = make_therapist(services=[service], position=1)
    second = make_therapist(services=[service], position=2)
    make_therapist(services=[service], position=0, active=False)
    room = make_room(position=1)
    make_room(position=0, active=False)
    db.session.commit()
    return service, first, second, room


def test_the_calendar_holds_the_days_bookings_blocks_and_active_people(clinic):
    service, first, second, room = clinic
    today = make_booking(starts_at=at(WEDNESDAY, 10), service=service, therapist=first, room=room)
    make_booking(
        starts_at=at(WEDNESDAY, 10) + timedelta(days=1), service=service, therapist=first, room=room
    )
    cancelled = make_booking(
        starts_at=at(WEDNESDAY, 12),
        service=service,
        therapist=second,
        room=room,
        status=BookingStatus.CANCELLED,
    )
    db.session.add_all(
        [
            TimeOff(
                therapist_id=second.id,
                starts_at=at(WEDNESDAY, 13),
                ends_at=at(WEDNESDAY, 15),
                reason="Dentist",
            ),
            Closure(starts_at=at(WEDNESDAY, 17), ends_at=at(WEDNESDAY, 23), reason="Training"),
            Closure(starts_at=at(WEDNESDAY, 0) - timedelta(days=3), ends_at=at(WEDNESDAY, 0)),
        ]
    )
    db.session.commit()

    data = reception_queries.calendar_data(WEDNESDAY, WEDNESDAY)
    assert [t.id for t in data.therapists] == [first.id, second.id]  # active, listing order
    assert [r.id for r in data.rooms] == [room.id]
    assert [b.id for b in data.bookings] == [today.id]
    assert [(s.reason, s.therapist_id) for s in data.time_off] == [("Dentist", second.id)]
    assert [s.reason for s in data.closures] == ["Training"]  # the one ending at 00:00 is not

    everything = reception_queries.calendar_data(WEDNESDAY, WEDNESDAY, include_inactive=True)
    assert [b.id for b in everything.bookings] == [today.id, cancelled.id]


def test_the_calendar_narrows_to_chosen_therapists(clinic):
    service, first, second, room = clinic
    make_booking(starts_at=at(WEDNESDAY, 10), service=service, therapist=first, room=room)
    theirs = make_booking(starts_at=at(WEDNESDAY, 11), service=service, therapist=second)
    db.session.add(
        TimeOff(therapist_id=first.id, starts_at=at(WEDNESDAY, 13), ends_at=at(WEDNESDAY, 14))
    )
    db.session.commit()
    data = reception_queries.calendar_data(WEDNESDAY, WEDNESDAY, therapist_ids=[second.id])
    assert [t.id for t in data.therapists] == [second.id]
    assert [b.id for b in data.bookings] == [theirs.id]
    assert data.time_off == []


def test_a_booking_that_started_before_the_window_and_runs_into_it_is_shown(clinic):
    service, first, _, room = clinic
    late = make_booking(
        starts_at=at(WEDNESDAY, 23), minutes=90, service=service, therapist=first, room=room
    )
    db.session.commit()
    thursday = WEDNESDAY + timedelta(days=1)
    assert [b.id for b in reception_queries.calendar_data(thursday, thursday).bookings] == [late.id]


def test_active_therapists_are_listed_in_order(clinic):
    _, first, second, _ = clinic
    assert [t.id for t in reception_queries.active_therapists()] == [first.id, second.id]


def restricted():
    return clearance.ClearanceStatement(
        outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
        clinician_name="Dr Patel",
        clinician_kind=ClinicianKind.GP,
        consultation_date=date(2027, 3, 9),
        restriction_ticks=("avoid_area",),
        truthful=True,
    )


def test_the_hold_queue_lists_held_bookings_soonest_expiry_first_with_their_state(app):
    place = make_clinic()
    later = book(place, at(WEDNESDAY, 10) + timedelta(days=6), now=NOW, hold=True)
    sooner = book(place, at(WEDNESDAY, 10) + timedelta(days=2), now=NOW, hold=True)
    book(place, at(WEDNESDAY, 14) + timedelta(days=2), now=NOW)  # confirmed: not in the queue
    clearance.attest(sooner.id, restricted(), actor=Actor.patient(), now=NOW)
    db.session.commit()

    queue = reception_queries.hold_queue(now=NOW)
    assert [row.booking.id for row in queue] == [sooner.id, later.id]
    assert [row.clearance_pending for row in queue] == [True, False]
    assert [row.expired for row in queue] == [False, False]
    # Each row carries its hold emails (the "held" notice at least), and no other kind.
    for row in queue:
        kinds = {m.kind for m in row.messages}
        assert MessageKind.HELD in kinds
        assert kinds <= set(reception_queries.HOLD_MESSAGE_KINDS)

    # Past its expiry but not yet marked by the worker: still listed, flagged expired.
    after = sooner.hold_expires_at
    assert [row.expired for row in reception_queries.hold_queue(now=after)] == [True, False]


def test_the_hold_queue_narrows_to_one_therapist(app):
    place = make_clinic()
    book(place, at(WEDNESDAY, 10) + timedelta(days=2), now=NOW, hold=True)
    other = make_therapist()
    db.session.commit()
    assert reception_queries.hold_queue(now=NOW, therapist_id=other.id) == []
    assert len(reception_queries.hold_queue(now=NOW, therapist_id=place.therapist_id)) == 1


def test_the_hold_queue_says_which_clinicians_were_sent_a_link_and_whether_it_was_used(app):
    place = make_clinic()
    held = book(place, at(WEDNESDAY, 10) + timedelta(days=2), now=NOW, hold=True)
    other = book(place, at(WEDNESDAY, 10) + timedelta(days=3), now=NOW, hold=True)
    db.session.commit()
    first = clinician_links.send(
        held.id, name="Dr Ruth Alvarez", email="gp@example.org", actor=Actor.patient(), now=NOW
    )
    clinician_links.send(
        held.id,
        name="Sam Physio",
        email="physio@example.org",
        actor=Actor.patient(),
        now=NOW + timedelta(hours=1),
    )
    db.session.execute(
        update(ClinicianLink).where(ClinicianLink.id == first.id).values(used_at=NOW)
    )
    db.session.commit()

    rows = {row.booking.id: row for row in reception_queries.hold_queue(now=NOW)}
    links = rows[held.id].clinician_links
    assert [(link.clinician_name, link.used_at is not None) for link in links] == [
        ("Dr Ruth Alvarez", True),
        ("Sam Physio", False),
    ]
    assert rows[other.id].clinician_links == []
