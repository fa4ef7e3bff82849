"""Delivery through a real SMTP server on loopback: the bytes that arrive are right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxStatus
from booking.services import manage_links
from booking.worker.delivery import deliver_due
from tests.support.notify import (
    book,
    check_structure,
    ensure_queued,
    make_clinic,
    messages,
    vevent,
)

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)  # Tuesday, GMT: 10:00 in London


def test_a_confirmation_arrives_with_the_imip_structure_and_a_valid_invitation(
    mail_app, smtp_server
):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
        ensure_queued(MessageKind.BOOKED, booking, now=NOW)
        counts = deliver_due(NOW + timedelta(seconds=5))
    assert counts["sent"] == 1

    (received,) = smtp_server.received
    assert received.rcpt_tos == ["jane.doe@example.org"]
    assert received.mail_from == "bookings@spineandease.example"
    invitation = check_structure(received.data)
    assert invitation.method == "REQUEST"
    message = invitation.message
    (queued,) = messages(booking.id)
    assert message["Message-ID"] == queued.message_id
    assert queued.message_id.endswith("@spineandease.example>")
    assert message["Subject"] == "Booking confirmed: Deep tissue massage, Tue 16 Mar 10:00"
    assert message["From"].addresses[0].addr_spec == "bookings@spineandease.example"
    assert message["To"].addresses[0].addr_spec == "jane.doe@example.org"
    assert message["Date"] is not None

    cal, event = vevent(invitation.calendar)
    assert cal.method.value == "REQUEST"
    assert event.uid.value == f"{booking.public_id}@spineandease.example"
    assert int(event.sequence.value) == 0
    assert event.status.value == "CONFIRMED"
    assert event.dtstart.value == START
    assert event.dtend.value == START + timedelta(hours=1)
    assert event.summary.value == "Massage appointment: Deep tissue massage"
    assert event.organizer.value == "mailto:bookings@spineandease.example"
    assert event.attendee.value == "mailto:jane.doe@example.org"
    assert event.dtstamp.value == NOW

    # The bodies: the clinic's details, the time in the clinic's zone with the zone named,
    # the policy, and a working manage link minted at delivery.
    for body in (invitation.text, invitation.html):
        assert "Spine &amp; Ease" in body or "Spine & Ease" in body
        assert "14 Harrow Lane, London N1 7AB" in body
        assert "020 7946 0321" in body
        assert "Tuesday 16 March 2027, 10:00 (London time, GMT)" in body
        assert "24 hours" in body
    link = next(w for w in invitation.text.split() if "/manage/" in w)
    token = link.rsplit("/", 1)[-1]
    assert manage_links.find_booking(token).id == booking.id
    db.session.refresh(queued)
    assert queued.status is OutboxStatus.SENT
    assert queued.attempts == 1
    assert queued.sent_at == NOW + timedelta(seconds=5)
