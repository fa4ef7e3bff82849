"""One booking's whole life by email: same UID, SEQUENCE and DTSTAMP rising, right METHOD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind
from booking.services import bookings
from booking.services.audit import Actor
from booking.worker.delivery import deliver_due
from tests.support.notify import book, check_structure, ensure_queued, make_clinic, messages, vevent

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
FIRST = datetime(2027, 3, 19, 10, 0, tzinfo=LONDON)
SECOND = datetime(2027, 3, 22, 15, 0, tzinfo=LONDON)
# Sunday 28 March 2027: the clocks go forward at 01:00 UTC; 10:00 BST is 09:00 UTC.
ON_SPRING_FORWARD = datetime(2027, 3, 28, 10, 0, tzinfo=LONDON)


def _confirm_clearance(booking: Booking, now: datetime) -> None:
    """Confirm the hold as a clearance would, bumping SEQUENCE: only the emails matter here."""
    booking.status = BookingStatus.CONFIRMED
    booking.hold_expires_at = None
    booking.ics_sequence += 1
    booking.updated_at = now
    db.session.commit()


def _deliver(smtp_server, now):
    before = len(smtp_server.received)
    with clock.frozen(now):
        deliver_due(now)
    return [check_structure(r.data) for r in smtp_server.received[before:]]


def _live(mail_app, smtp_server, *, queue_in_test: bool):
    """Run the life; return the invitations received, one per step."""
    clinic = make_clinic()
    received = []
    step = NOW

    def after(kind, booking):
        if queue_in_test:
            ensure_queued(kind, booking, now=step)
        received.extend(_deliver(smtp_server, step))

    with clock.frozen(step):
        booking = book(clinic, FIRST, now=step, hold=True)
    after(MessageKind.HELD, booking)

    step += timedelta(hours=3)
    _confirm_clearance(booking, step)
    ensure_queued(MessageKind.CLEARANCE_CONFIRMED, booking, now=step)
    received.extend(_deliver(smtp_server, step))

    for new_start in (SECOND, ON_SPRING_FORWARD):
        step += timedelta(hours=2)
        with clock.frozen(step):
            booking = bookings.reschedule(booking.id, new_start, actor=Actor.patient(), now=step)
        after(MessageKind.RESCHEDULED, booking)

    step += timedelta(hours=2)
    with clock.frozen(step):
        booking = bookings.cancel(booking.id, actor=Actor.patient(), now=step)
    after(MessageKind.CANCELLED, booking)
    return booking, received


def _check_life(booking, received):
    assert len(received) == 5
    events = [vevent(inv.calendar) for inv in received]
    uids = {event.uid.value for _, event in events}
    assert uids == {f"{booking.public_id}@spineandease.example"}
    sequences = [int(event.sequence.value) for _, event in events]
    assert sequences == sorted(set(sequences)), sequences  # strictly rising
    stamps = [event.dtstamp.value for _, event in events]
    assert stamps == sorted(set(stamps)), stamps
    for invitation, (cal, _) in zip(received, events, strict=True):
        assert cal.method.value == invitation.method  # METHOD equals the MIME method=
    assert [inv.method for inv in received] == ["REQUEST"] * 4 + ["CANCEL"]
    assert [event.status.value for _, event in events] == [
        "TENTATIVE",
        "CONFIRMED",
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]
    starts = [event.dtstart.value for _, event in events]
    assert starts[0] == datetime(2027, 3, 19, 10, 0, tzinfo=UTC)  # GMT
    assert starts[2] == datetime(2027, 3, 22, 15, 0, tzinfo=UTC)
    # On the spring-forward day 10:00 London is BST: 09:00 UTC, written with Z.
    assert starts[3] == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    assert b"DTSTART:20270328T090000Z\r\n" in received[3].calendar
    assert "Sunday 28 March 2027, 10:00 (London time, BST)" in received[3].text


def test_a_booking_life_sends_one_event_that_updates_and_cancels(mail_app, smtp_server):
    booking, received = _live(mail_app, smtp_server, queue_in_test=True)
    _check_life(booking, received)


def test_the_verbs_queue_their_own_messages(mail_app, smtp_server):
    booking, received = _live(mail_app, smtp_server, queue_in_test=False)
    _check_life(booking, received)
    kinds = [m.kind for m in messages(booking.id)]
    assert kinds == [
        MessageKind.HELD,
        MessageKind.CLEARANCE_CONFIRMED,
        MessageKind.RESCHEDULED,
        MessageKind.RESCHEDULED,
        MessageKind.CANCELLED,
    ]


def test_times_are_right_on_the_autumn_change_day(mail_app, smtp_server):
    # Sunday 31 October 2027: 01:00-02:00 happens twice; 10:00 is GMT again, 10:00 UTC.
    now = datetime(2027, 10, 20, 9, 0, tzinfo=UTC)
    start = datetime(2027, 10, 31, 10, 0, tzinfo=LONDON)
    clinic = make_clinic()
    with clock.frozen(now):
        booking = book(clinic, start, now=now)
    ensure_queued(MessageKind.BOOKED, booking, now=now)
    (invitation,) = _deliver(smtp_server, now)
    _, event = vevent(invitation.calendar)
    assert event.dtstart.value == datetime(2027, 10, 31, 10, 0, tzinfo=UTC)
    assert b"DTSTART:20271031T100000Z\r\n" in invitation.calendar
    assert "Sunday 31 October 2027, 10:00 (London time, GMT)" in invitation.text
