"""The worker's jobs: hold expiry and reminders, idempotent on every rerun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking import clock
from booking.extensions import db
from booking.models import BookingStatus, MessageKind, OutboxStatus
from booking.worker.delivery import deliver_due
from booking.worker.jobs import run_jobs
from tests.support.notify import book, check_structure, ensure_queued, make_clinic, messages, vevent

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)


def _kinds(booking_id=None):
    return [m.kind for m in messages(booking_id)]


def test_appointment_reminders_are_queued_once_however_often_the_job_runs(mail_app):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    before = len(messages())
    assert run_jobs(NOW)["appointment_reminder"] == 0  # not due yet

    due = START - timedelta(hours=23)
    assert run_jobs(due)["appointment_reminder"] == 1
    assert run_jobs(due)["appointment_reminder"] == 0
    assert run_jobs(due + timedelta(hours=1))["appointment_reminder"] == 0
    reminders = [m for m in messages(booking.id) if m.kind is MessageKind.APPOINTMENT_REMINDER]
    assert len(reminders) == 1
    assert len(messages()) == before + 1


def test_a_booking_made_inside_the_reminder_window_gets_no_extra_reminder(mail_app):
    clinic = make_clinic()
    now = START - timedelta(hours=10)
    with clock.frozen(now):
        book(clinic, START, now=now)
    assert run_jobs(now)["appointment_reminder"] == 0


def test_hold_reminders_go_a_day_after_booking_and_before_expiry_once_each(mail_app):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW, hold=True)
    expiry = booking.hold_expires_at
    assert expiry == NOW + timedelta(hours=48)
    for at in (NOW, NOW + timedelta(hours=23)):
        assert run_jobs(at)["hold_reminder"] == 0
    for _ in range(2):
        run_jobs(NOW + timedelta(hours=24, minutes=5))
    for _ in range(2):
        run_jobs(expiry - timedelta(hours=5))
    reminders = [m for m in messages(booking.id) if m.kind is MessageKind.HOLD_REMINDER]
    assert len(reminders) == 2
    assert {m.dedupe_key.split(":")[2] for m in reminders} == {"after_booking", "before"}


def test_an_expired_hold_is_marked_cancelled_by_email_and_frees_the_slot(mail_app, smtp_server):
    clinic = make_clinic()
    with clock.frozen(NOW):
        held = book(clinic, START, now=NOW, hold=True)
    ensure_queued(MessageKind.HELD, held, now=NOW)
    deliver_due(NOW)

    after = held.hold_expires_at + timedelta(minutes=1)
    assert run_jobs(after)["hold_expired"] == 1
    assert run_jobs(after)["hold_expired"] == 0  # idempotent
    db.session.refresh(held)
    assert held.status is BookingStatus.EXPIRED
    assert _kinds(held.id).count(MessageKind.HOLD_EXPIRED) == 1

    deliver_due(after)
    invitation = check_structure(smtp_server.received[-1].data)
    assert invitation.method == "CANCEL"
    _, event = vevent(invitation.calendar)
    assert event.status.value == "CANCELLED"
    assert int(event.sequence.value) == 1
    assert event.uid.value == f"{held.public_id}@spineandease.example"
    # The slot is free again: someone else books the very same time.
    with clock.frozen(after):
        other = book(clinic, START, now=after, email="next@example.org")
    assert other.status is BookingStatus.CONFIRMED


def test_a_reminder_made_pointless_by_a_later_change_is_skipped(mail_app, smtp_server):
    from booking.services import bookings
    from booking.services.audit import Actor

    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    due = START - timedelta(hours=23)
    run_jobs(due)
    with clock.frozen(due):
        bookings.cancel(booking.id, actor=Actor.patient(), now=due, enforce_cutoff=False)
    ensure_queued(MessageKind.CANCELLED, booking, now=due)
    deliver_due(due)
    by_kind = {m.kind: m for m in messages(booking.id)}
    assert by_kind[MessageKind.APPOINTMENT_REMINDER].status is OutboxStatus.SKIPPED
    assert by_kind[MessageKind.CANCELLED].status is OutboxStatus.SENT
