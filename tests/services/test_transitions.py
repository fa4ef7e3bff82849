"""Every verb that changes a booking writes its audit row and its message exactly once.

The verbs share one compare-and-set (``services.transitions``): a move the booking's state
does not allow, or a state that changed since it was read, writes nothing at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    ClearanceOutcome,
    ClinicianKind,
    FreedTime,
    MessageKind,
    OutboxMessage,
)
from booking.scheduling import moves
from booking.services import bookings, clearance, holds, privacy, transitions, visits
from booking.services.audit import Actor
from booking.services.errors import BookingError, Refusal
from booking.services.locking import run_in_write_transaction
from booking.worker.jobs import run_jobs
from tests.support.builders import make_booking

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday
THURSDAY_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
STAFF = Actor.system()


def events(booking_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.booking_id == booking_id)
            .order_by(AuditEvent.id)
        )
    )


def messages(booking_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.booking_id == booking_id)
            .order_by(OutboxMessage.id)
        )
    )


def freed_causes(booking_id: int) -> list[str]:
    return list(
        db.session.scalars(select(FreedTime.cause).where(FreedTime.booking_id == booking_id))
    )


def held(**fields) -> Booking:
    return make_booking(
        starts_at=THURSDAY_10,
        status=fields.pop("status", BookingStatus.HELD),
        hold_expires_at=fields.pop("hold_expires_at", NOW + timedelta(hours=6)),
        **fields,
    )


def confirmed(**fields) -> Booking:
    return make_booking(starts_at=fields.pop("starts_at", THURSDAY_10), **fields)


def statement(outcome=ClearanceOutcome.CLEARED, ticks=()):
    return clearance.ClearanceStatement(
        outcome=outcome,
        clinician_name="Dr Patel",
        clinician_kind=ClinicianKind.GP,
        consultation_date=date(2027, 3, 9),
        restriction_ticks=ticks,
        truthful=True,
    )


def awaiting_approval() -> Booking:
    booking = held()
    clearance.attest(
        booking.id,
        statement(ClearanceOutcome.CLEARED_WITH_RESTRICTIONS, ("avoid_area",)),
        actor=Actor.patient(),
        now=NOW,
    )
    return booking


# (what the booking starts as, the verb, the audit event, the message, the freed cause)
VERBS = {
    "cancel": (
        confirmed,
        lambda b: bookings.cancel(b.id, actor=Actor.patient(), now=NOW),
        BookingStatus.CANCELLED,
        "booking.cancelled",
        MessageKind.CANCELLED,
        "cancelled",
    ),
    "cancel a hold": (
        held,
        lambda b: bookings.cancel(b.id, actor=Actor.patient(), now=NOW),
        BookingStatus.CANCELLED,
        "booking.cancelled",
        MessageKind.CANCELLED,
        "cancelled",
    ),
    "cancel quietly": (
        confirmed,
        lambda b: bookings.cancel(b.id, actor=STAFF, now=NOW, notify=False),
        BookingStatus.CANCELLED,
        "booking.cancelled",
        None,
        "cancelled",
    ),
    "reschedule": (
        confirmed,
        lambda b: bookings.reschedule(
            b.id, THURSDAY_10 + timedelta(hours=2), actor=Actor.patient(), now=NOW
        ),
        BookingStatus.CONFIRMED,
        "booking.rescheduled",
        MessageKind.RESCHEDULED,
        "moved",
    ),
    "expire": (
        lambda: held(hold_expires_at=NOW - timedelta(minutes=1)),
        lambda b: holds.expire_holds(now=NOW),
        BookingStatus.EXPIRED,
        "booking.hold_expired",
        MessageKind.HOLD_EXPIRED,
        "expired",
    ),
    "attest cleared": (
        held,
        lambda b: clearance.attest(b.id, statement(), actor=Actor.patient(), now=NOW),
        BookingStatus.CONFIRMED,
        "booking.confirmed",
        MessageKind.CLEARANCE_CONFIRMED,
        None,
    ),
    "attest after the hold was marked expired": (
        lambda: held(status=BookingStatus.EXPIRED, hold_expires_at=NOW - timedelta(hours=1)),
        lambda b: clearance.attest(b.id, statement(), actor=Actor.patient(), now=NOW),
        BookingStatus.CONFIRMED,
        "booking.confirmed",
        MessageKind.CLEARANCE_CONFIRMED,
        None,
    ),
    "attest not cleared": (
        held,
        lambda b: clearance.attest(
            b.id, statement(ClearanceOutcome.NOT_CLEARED), actor=Actor.patient(), now=NOW
        ),
        BookingStatus.RELEASED,
        "booking.released",
        MessageKind.HOLD_RELEASED,
        "released",
    ),
    "approve restrictions": (
        awaiting_approval,
        lambda b: clearance.decide(b.id, approve=True, actor=STAFF, now=NOW),
        BookingStatus.CONFIRMED,
        "booking.confirmed",
        MessageKind.CLEARANCE_CONFIRMED,
        None,
    ),
    "refuse restrictions": (
        awaiting_approval,
        lambda b: clearance.decide(
            b.id, approve=False, actor=STAFF, now=NOW, reason="The restrictions rule it out."
        ),
        BookingStatus.RELEASED,
        "booking.released",
        MessageKind.HOLD_RELEASED,
        "released",
    ),
    "extend a hold": (
        held,
        lambda b: clearance.extend_hold(
            b.id, reason="The GP appointment is on Monday.", actor=STAFF, now=NOW
        ),
        BookingStatus.HELD,
        "booking.hold_extended",
        None,
        None,
    ),
    "arrive": (
        lambda: confirmed(starts_at=NOW + timedelta(hours=1)),
        lambda b: visits.mark_arrived(b.id, actor=STAFF, now=NOW),
        BookingStatus.ARRIVED,
        "booking.arrived",
        None,
        None,
    ),
    "complete": (
        lambda: confirmed(starts_at=NOW - timedelta(hours=1), status=BookingStatus.ARRIVED),
        lambda b: visits.mark_completed(b.id, actor=STAFF, now=NOW),
        BookingStatus.COMPLETED,
        "booking.completed",
        None,
        None,
    ),
    "no-show": (
        lambda: confirmed(starts_at=NOW - timedelta(minutes=20)),
        lambda b: visits.mark_no_show(b.id, actor=STAFF, now=NOW),
        BookingStatus.NO_SHOW,
        "booking.no_show",
        None,
        None,
    ),
    "erase the patient": (
        confirmed,
        lambda b: privacy.erase_patient(b.patient_id, actor=STAFF, now=NOW),
        BookingStatus.CANCELLED,
        "booking.cancelled",
        None,
        "cancelled",
    ),
}


@pytest.mark.parametrize("name", list(VERBS))
def test_each_verb_writes_its_audit_row_and_message_once(app, name):
    make, verb, status, event, message, frees = VERBS[name]
    booking = make()
    before_events, before_messages = events(booking.id), messages(booking.id)
    verb(booking)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status is status
    new_events = events(booking.id)[len(before_events) :]
    assert new_events.count(event) == 1
    new_messages = messages(booking.id)[len(before_messages) :]
    assert new_messages == ([message] if message else [])
    assert freed_causes(booking.id) == ([frees] if frees else [])


def test_a_clearance_after_the_hold_ran_out_expires_it_then_confirms_it(app):
    booking = held(hold_expires_at=NOW - timedelta(hours=1))
    clearance.attest(booking.id, statement(), actor=Actor.patient(), now=NOW)
    assert messages(booking.id) == [MessageKind.HOLD_EXPIRED, MessageKind.CLEARANCE_CONFIRMED]
    assert [e for e in events(booking.id) if e != "booking.clearance_recorded"] == [
        "booking.hold_expired",
        "booking.confirmed",
    ]


def test_an_expired_hold_is_told_once_however_often_the_worker_runs(app):
    booking = held(hold_expires_at=NOW - timedelta(minutes=1))
    assert run_jobs(NOW)["hold_expired"] == 1
    assert run_jobs(NOW + timedelta(minutes=1))["hold_expired"] == 0
    assert messages(booking.id).count(MessageKind.HOLD_EXPIRED) == 1
    assert events(booking.id).count("booking.hold_expired") == 1


def test_a_verb_expiring_holds_on_its_way_tells_each_patient_once(app):
    lapsed = held(hold_expires_at=NOW - timedelta(minutes=1))
    other = confirmed(starts_at=THURSDAY_10 + timedelta(days=1))
    bookings.cancel(other.id, actor=Actor.patient(), now=NOW)
    # Moving a booking marks the holds that ran out first, in its own transaction.
    bookings.reschedule(
        confirmed().id, THURSDAY_10 + timedelta(hours=3), actor=Actor.patient(), now=NOW
    )
    run_jobs(NOW)
    assert messages(lapsed.id) == [MessageKind.HOLD_EXPIRED]
    assert events(lapsed.id) == ["booking.hold_expired"]


def apply_in_transaction(booking: Booking, step, **options):
    return run_in_write_transaction(
        lambda: transitions.apply(booking, step, actor=STAFF, now=NOW, **options)
    )


def assert_nothing_written(booking: Booking, status: BookingStatus) -> None:
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status is status
    assert events(booking.id) == []
    assert messages(booking.id) == []
    assert freed_causes(booking.id) == []


def test_a_move_the_state_does_not_allow_is_refused_and_writes_nothing(app):
    booking = confirmed(status=BookingStatus.COMPLETED)
    with pytest.raises(Refusal) as refused:
        apply_in_transaction(booking, moves.CANCEL)
    assert isinstance(refused.value, BookingError)
    assert refused.value.reason == "not_active"
    assert refused.value.message == "This booking is no longer active."
    assert_nothing_written(booking, BookingStatus.COMPLETED)


def test_a_lapsed_hold_cannot_be_confirmed_or_released_by_the_helper(app):
    booking = held(hold_expires_at=NOW - timedelta(seconds=1))
    for step in (moves.CONFIRM, moves.RELEASE, moves.EXTEND_HOLD):
        with pytest.raises(BookingError) as refused:
            apply_in_transaction(booking, step)
        assert refused.value.reason == "not_held"
    assert_nothing_written(booking, BookingStatus.HELD)


def test_a_state_changed_since_it_was_read_is_refused_and_writes_nothing(app):
    booking = held()
    # Another writer confirmed it after this one read it as held.
    db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(status=BookingStatus.CONFIRMED, hold_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(booking, "status", BookingStatus.HELD)  # what this writer read
    with pytest.raises(BookingError) as refused:
        apply_in_transaction(booking, moves.RELEASE)
    assert refused.value.reason == "not_held"
    assert_nothing_written(booking, BookingStatus.CONFIRMED)


def test_a_lenient_move_says_it_did_nothing(app):
    booking = confirmed(status=BookingStatus.CANCELLED)
    assert apply_in_transaction(booking, moves.EXPIRE, strict=False) is False
    assert_nothing_written(booking, BookingStatus.CANCELLED)


def test_a_move_stamps_its_new_status_and_the_calendar_sequence(app):
    booking = held()
    apply_in_transaction(booking, moves.CONFIRM)
    db.session.expire_all()
    stored = db.session.get(Booking, booking.id)
    assert stored.status is BookingStatus.CONFIRMED
    assert stored.confirmed_at == NOW
    assert stored.hold_expires_at is None
    assert stored.ics_sequence == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
