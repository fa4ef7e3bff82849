"""The demo fortnight: a realistic, quiet (no mail) and conflict-free set of bookings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.demo import seed_demo, seed_demo_bookings
from booking.extensions import db
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClinicianLink,
    Closure,
    FollowUp,
    Intake,
    MessageKind,
    OutboxMessage,
    Patient,
    StaffRole,
    WorkingHours,
)
from booking.models.booking import BLOCKING_STATUSES
from booking.worker.jobs import run_jobs
from tests.web.test_reception_calendar import sign_in

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def all_bookings() -> list[Booking]:
    return list(db.session.scalars(select(Booking).order_by(Booking.starts_at)))


def test_demo_adds_a_fortnight_around_today_mailing_only_the_gp_asked_for_a_clearance(app):
    seed_demo(now=NOW)
    bookings = all_bookings()
    assert len(bookings) >= 40
    days = {b.starts_at.astimezone(LONDON).date() for b in bookings}
    today = NOW.astimezone(LONDON).date()
    assert min(days) >= today - timedelta(days=7) and max(days) <= today + timedelta(days=7)
    assert min(days) < today < max(days)
    # No patient is mailed for the demo's bookings; one held patient has asked their GP for
    # a clearance, and that email is queued so the GP's page can be tried from instance/mail.
    messages = list(db.session.scalars(select(OutboxMessage)))
    assert [m.kind for m in messages] == [MessageKind.CLINICIAN_REQUEST]
    asked = db.session.get(Booking, messages[0].booking_id)
    assert asked.status is BookingStatus.HELD and asked.blocks_at(NOW)
    link = db.session.scalar(select(ClinicianLink))
    assert (link.booking_id, link.used_at) == (asked.id, None)


def test_demo_has_every_kind_of_booking_reception_meets(app):
    seed_demo(now=NOW)
    bookings = all_bookings()
    statuses = Counter(b.status for b in bookings)
    assert statuses[BookingStatus.NO_SHOW] == 1
    assert statuses[BookingStatus.CANCELLED] == 1
    assert statuses[BookingStatus.HELD] == 3
    assert statuses[BookingStatus.CONFIRMED] >= 10
    assert statuses[BookingStatus.COMPLETED] >= 10
    for b in bookings:
        if b.ends_at <= NOW:
            assert b.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW), b
        elif b.status is not BookingStatus.CANCELLED and b.starts_at > NOW:
            # OFFERED: the time kept for the demo's waitlist offer in flight.
            assert b.status in (
                BookingStatus.CONFIRMED,
                BookingStatus.HELD,
                BookingStatus.OFFERED,
            ), b
        if b.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            assert b.confirmed_at is not None
        assert b.ics_sequence == 0
        assert b.busy_until == b.ends_at + timedelta(minutes=b.service.buffer_minutes)
        assert b.price_pence == b.service.duration(b.duration_minutes).price_pence


def test_demo_holds_have_different_deadlines_and_one_awaits_approval(app):
    seed_demo(now=NOW)
    held = [b for b in all_bookings() if b.status is BookingStatus.HELD]
    left = sorted(round((b.hold_expires_at - NOW).total_seconds() / 3600) for b in held)
    assert left == [5, 20, 30]
    for b in held:
        # A hold ends no later than 24 h before the appointment.
        assert b.hold_expires_at <= b.starts_at - timedelta(hours=24)
    intakes = db.session.scalars(select(Intake)).all()
    held_ids = {b.id for b in held}
    held_intakes = [i for i in intakes if i.booking_id in held_ids]
    assert {i.booking_id for i in held_intakes} == held_ids
    assert all(i.outcome == "hold" and i.answers for i in held_intakes)
    # The other screens are those of completed sessions, drawn on the demo's pain chart.
    others = [i for i in intakes if i.booking_id not in held_ids]
    assert others and all(i.booking.status is BookingStatus.COMPLETED for i in others)
    pending = db.session.scalars(
        select(Clearance).where(Clearance.approval == ApprovalState.PENDING)
    ).all()
    assert len(pending) == 1 and pending[0].booking_id in {b.id for b in held}


def test_demo_bookings_never_overlap_for_a_therapist_or_a_room(app):
    seed_demo(now=NOW)
    blocking = [b for b in all_bookings() if b.status in BLOCKING_STATUSES]
    for a, b in combinations(all_bookings(), 2):
        if a.therapist_id == b.therapist_id or a.room_id == b.room_id:
            overlap = a.starts_at < b.busy_until and b.starts_at < a.busy_until
            assert not overlap, (a, b)
    assert blocking


def test_demo_bookings_are_inside_working_hours(app):
    seed_demo(now=NOW)
    hours = db.session.scalars(select(WorkingHours)).all()
    for b in all_bookings():
        local = b.starts_at.astimezone(LONDON)
        start = local.hour * 60 + local.minute
        end = start + b.duration_minutes
        assert any(
            h.therapist_id == b.therapist_id
            and h.weekday == local.weekday()
            and h.start_minute <= start
            and end <= h.end_minute
            for h in hours
        ), b


def test_demo_patients_are_fictional(app):
    seed_demo(now=NOW)
    for patient in db.session.scalars(select(Patient)):
        assert patient.email.endswith("@example.org")
        assert patient.phone.startswith("+447700900")


def test_demo_bookings_are_deterministic_and_added_once(app):
    seed_demo(now=NOW)
    first = [(b.starts_at, b.therapist_id, b.room_id, b.status) for b in all_bookings()]
    assert seed_demo_bookings(NOW) == 0
    assert seed_demo(now=NOW) is False
    assert [(b.starts_at, b.therapist_id, b.room_id, b.status) for b in all_bookings()] == first


def test_demo_day_view_is_alive(app):
    seed_demo(now=NOW)
    with clock.frozen(NOW):
        client = sign_in(app, StaffRole.RECEPTION)
        page = client.get("/reception/")
        holds = client.get("/reception/holds")
    assert page.status_code == 200
    assert page.text.count('class="booking-entry') >= 3
    assert holds.status_code == 200
    assert "Clearance received, awaiting therapist approval" in holds.text


@pytest.mark.parametrize(
    "now",
    [
        datetime(2027, 12, 24, 17, 0, tzinfo=UTC),  # into the Christmas closure
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # the night clocks go back
        datetime(2027, 3, 28, 20, 0, tzinfo=UTC),  # a Sunday evening after spring forward
    ],
)
def test_demo_fortnight_fits_any_start_date(app, now):
    seed_demo(now=now)
    bookings = all_bookings()
    assert sum(b.status is BookingStatus.HELD for b in bookings) == 3
    closures = db.session.scalars(select(Closure)).all()
    # A cancelled time is free again: the full day books it for someone else.
    taking_time = [b for b in bookings if b.status is not BookingStatus.CANCELLED]
    for a, b in combinations(taking_time, 2):
        if a.therapist_id == b.therapist_id or a.room_id == b.room_id:
            assert not (a.starts_at < b.busy_until and b.starts_at < a.busy_until), (a, b)
    for b in bookings:
        assert not any(c.starts_at < b.busy_until and c.ends_at > b.starts_at for c in closures)


def test_the_demo_has_answered_follow_ups_one_flagged_and_one_due(app):
    seed_demo(now=NOW)
    answered = db.session.scalars(select(FollowUp).where(FollowUp.answered_at.is_not(None))).all()
    by_patient = Counter(f.patient_id for f in answered)
    assert max(by_patient.values()) >= 2  # enough points for the chart
    assert [f.needs_review for f in answered].count(True) == 1
    # The worker's first pass sends the one that is due (and only that one).
    assert run_jobs(NOW)["follow_up"] == 1


def test_the_demo_has_a_full_day_to_try_the_waitlist_on(app):
    from booking.demo.full_day import FULL_MINUTES, FULL_SERVICE, full_day_for
    from booking.models import Service
    from booking.services import availability

    seed_demo(now=NOW)
    day = full_day_for(NOW.date())
    assert day.weekday() == 2 and day >= NOW.date() + timedelta(days=2)
    service = db.session.scalar(select(Service).where(Service.slug == FULL_SERVICE))
    assert availability.slots_for(service, FULL_MINUTES, day, day, now=NOW).slots == []
    on_the_day = [
        b
        for b in all_bookings()
        if b.starts_at.astimezone(LONDON).date() == day and b.status is BookingStatus.CONFIRMED
    ]
    assert len(on_the_day) >= 6  # a real day's worth, each one a time reception can cancel
    assert (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.kind != MessageKind.CLINICIAN_REQUEST
            )
        )
        == 0
    )
    # The next Wednesday still has times: only the one day is full.
    later_day = day + timedelta(days=7)
    assert availability.slots_for(service, FULL_MINUTES, later_day, later_day, now=NOW).slots
