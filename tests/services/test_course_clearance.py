"""One clearance for a course: it confirms every held session before its validity ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    ClearanceOutcome,
    ClinicianKind,
    OutboxMessage,
)
from booking.services import clearance, holds
from booking.services.audit import Actor
from booking.services.clinic_settings import load_policy, use_policy
from booking.services.courses import cover
from tests.services.test_courses import NOW, book, wanted
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.screens import severe


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), course_sessions=6)
    deep = make_service(durations=((60, 6000),), course_sessions=6, deep_pressure=True)
    therapist = make_therapist(services=[service, deep])
    make_room()
    return service, therapist, deep


def statement(outcome=ClearanceOutcome.CLEARED, **changes):
    values = {
        "outcome": outcome,
        "clinician_name": "Dr Jones",
        "clinician_kind": ClinicianKind.GP,
        "consultation_date": NOW.date(),
        "truthful": True,
    }
    return clearance.ClearanceStatement(**(values | changes))


def fresh(sessions):
    db.session.expire_all()
    return [db.session.get(Booking, b.id) for b in sessions]


def test_one_clearance_confirms_every_held_session_of_the_course(clinic):
    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    assert {b.status for b in sessions} == {BookingStatus.HELD}
    # Given on the third session's manage page: the whole course is confirmed.
    result = clearance.attest(sessions[2].id, statement(), actor=Actor.patient(), now=NOW)
    assert result.result == "confirmed"
    after = fresh(sessions)
    assert [b.status for b in after] == [BookingStatus.CONFIRMED] * 6
    assert all(b.ics_sequence == 1 for b in after)  # each session's calendar entry updated
    # Each session gets its own confirmation, with its own invitation.
    kinds = db.session.scalars(
        select(OutboxMessage.booking_id).where(OutboxMessage.kind == "clearance_confirmed")
    ).all()
    assert sorted(kinds) == sorted(b.id for b in sessions)


def test_sessions_from_the_clearances_end_stay_held_until_shortly_before_their_start(clinic, app):
    service, therapist, _ = clinic
    booked_at = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    first = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)  # Thursdays 10:00 BST, then GMT
    sessions = book(
        service, therapist, wanted(first), first=first, screen=severe(), now=booked_at
    ).bookings
    starts = [b.starts_at for b in sessions]
    # The boundary: the clearance runs out exactly when the fourth session starts.
    app.config["CLEARANCE_VALID_DAYS"] = 28
    use_policy(load_policy())  # the policy is read once per request
    attested_at = starts[3] - timedelta(days=28)
    clearance.attest(sessions[0].id, statement(), actor=Actor.patient(), now=attested_at)
    after = fresh(sessions)
    assert [b.status for b in after] == [BookingStatus.CONFIRMED] * 3 + [BookingStatus.HELD] * 3
    before = timedelta(hours=app.config["HOLD_HOURS_BEFORE_START"])
    assert [b.hold_expires_at for b in after[3:]] == [s - before for s in starts[3:]]
    # Each says why: the clearance ends at the fourth session's start.
    assert cover.clearance_runs_out(after[3], now=attested_at) == starts[3]
    assert cover.clearance_runs_out(after[2], now=attested_at) is None
    # The held sessions outlive the ordinary 48 hours: nothing expires days later.
    assert holds.expire_holds(now=attested_at + timedelta(days=3)) == []


def test_not_cleared_releases_the_whole_held_course(clinic):
    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    clearance.attest(
        sessions[0].id, statement(ClearanceOutcome.NOT_CLEARED), actor=Actor.patient(), now=NOW
    )
    assert {b.status for b in fresh(sessions)} == {BookingStatus.RELEASED}


def test_restrictions_wait_for_approval_then_the_approval_confirms_the_course(clinic):
    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    result = clearance.attest(
        sessions[0].id,
        statement(ClearanceOutcome.CLEARED, restriction_ticks=("avoid_area",)),
        actor=Actor.patient(),
        now=NOW,
    )
    assert result.result == "awaiting_approval"
    assert {b.status for b in fresh(sessions)} == {BookingStatus.HELD}
    clearance.decide(sessions[0].id, approve=True, actor=Actor.system(), now=NOW)
    assert {b.status for b in fresh(sessions)} == {BookingStatus.CONFIRMED}


def test_a_lapsed_course_is_reserved_again_by_its_clearance(clinic):
    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    later = NOW + timedelta(hours=49)
    holds.expire_holds(now=later)
    assert {b.status for b in fresh(sessions)} == {BookingStatus.EXPIRED}
    clearance.attest(sessions[0].id, statement(), actor=Actor.patient(), now=later)
    assert {b.status for b in fresh(sessions)} == {BookingStatus.CONFIRMED}


def test_the_gps_own_link_clears_the_whole_course(clinic):
    from booking.models import ActorKind, AuditEvent
    from booking.services import clinician_links
    from tests.services.test_clinician_links import sent_link
    from tests.services.test_clinician_links import statement as clinician_statement

    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    link_id, _token = sent_link(sessions[0].id, now=NOW)
    result = clinician_links.submit(link_id, clinician_statement(), now=NOW)
    assert result.result == "confirmed"
    assert {b.status for b in fresh(sessions)} == {BookingStatus.CONFIRMED}
    confirmed = db.session.scalars(
        select(AuditEvent.actor_kind).where(AuditEvent.action == "booking.confirmed")
    ).all()
    assert confirmed == [ActorKind.CLINICIAN] * 6


def test_a_held_course_gets_one_reminder_not_one_per_session(clinic):
    from booking.models import MessageKind
    from booking.worker.jobs import run_jobs

    service, therapist, _ = clinic
    sessions = book(service, therapist, screen=severe()).bookings
    run_jobs(NOW + timedelta(hours=25))
    run_jobs(NOW + timedelta(hours=45))
    reminded = db.session.scalars(
        select(OutboxMessage.booking_id).where(OutboxMessage.kind == MessageKind.HOLD_REMINDER)
    ).all()
    # A day after booking, and before the hold runs out: both on the first session.
    assert reminded == [sessions[0].id, sessions[0].id]


def test_a_session_held_past_the_clearance_keeps_its_rule_when_moved(clinic, app):
    from booking.services import bookings

    service, therapist, _ = clinic
    booked_at = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    first = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
    sessions = book(
        service, therapist, wanted(first), first=first, screen=severe(), now=booked_at
    ).bookings
    app.config["CLEARANCE_VALID_DAYS"] = 28
    use_policy(load_policy())  # the policy is read once per request
    attested_at = sessions[3].starts_at - timedelta(days=28)
    clearance.attest(sessions[0].id, statement(), actor=Actor.patient(), now=attested_at)
    moved_at = attested_at + timedelta(days=5)  # long after the ordinary 48 hours
    fifth = fresh(sessions)[4]
    new_start = fifth.starts_at + timedelta(hours=2)
    bookings.reschedule(fifth.id, new_start, actor=Actor.patient(), now=moved_at)
    moved = fresh(sessions)[4]
    assert moved.status is BookingStatus.HELD and moved.blocks_at(moved_at)
    assert moved.hold_expires_at == new_start - timedelta(hours=24)
