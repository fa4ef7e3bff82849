"""Shared helpers for the confirmation tests: a clinic, bookings via the verbs, MIME checks."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import vobject
from sqlalchemy import select

from booking.extensions import db
from booking.intake import PainDuration, PainLocation, RecentInjury, ScreenAnswers
from booking.models import Booking, BookingStatus, MessageKind, OutboxMessage
from booking.notify import outbox
from booking.services import bookings
from booking.services.audit import Actor
from tests.support.builders import make_room, make_service, make_therapist

EVERY_DAY = {day: [(8 * 60, 20 * 60)] for day in range(7)}


@dataclass
class Clinic:
    service_id: int
    therapist_id: int
    room_id: int


def make_clinic(service_name: str = "Deep tissue massage") -> Clinic:
    service = make_service(name=service_name, durations=((60, 6200),))
    therapist = make_therapist(services=[service], hours=EVERY_DAY, name="Sam Rivers")
    room = make_room()
    db.session.commit()
    return Clinic(service.id, therapist.id, room.id)


def screen(*, hold: bool) -> ScreenAnswers:
    """Pain screen answers that book (score 3) or hold for clearance (score 8)."""
    return ScreenAnswers(
        location=PainLocation.LOWER_BACK,
        duration=PainDuration.OVER_12_WEEKS,
        sudden_onset=False,
        pain_score=8 if hold else 3,
        disturbs_sleep_or_daily_life=False,
        recent_injury=RecentInjury.NONE,
        long_term_steroids=False,
    )


def book(clinic: Clinic, start: datetime, *, now: datetime, hold: bool = False, **fields):
    """Book through the verb; ``hold=True`` answers the screen so the booking is held."""
    fields["screen"] = screen(hold=hold)
    request = bookings.BookingRequest(
        service_id=clinic.service_id,
        minutes=60,
        start=start,
        name=fields.pop("name", "Jane Doe"),
        email=fields.pop("email", "jane.doe@example.org"),
        phone=fields.pop("phone", "+447700900123"),
        **fields,
    )
    booking = bookings.book(request, actor=Actor.patient(), now=now).booking
    assert booking.status is (BookingStatus.HELD if hold else BookingStatus.CONFIRMED)
    return booking


def messages(booking_id: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if booking_id is not None:
        query = query.where(OutboxMessage.booking_id == booking_id)
    return list(db.session.scalars(query))


def ensure_queued(kind: MessageKind, booking: Booking, *, now: datetime) -> None:
    """Queue ``kind`` for the booking's current state unless the verb already did.

    Lets these tests pass before and after the verbs queue their own messages.
    """
    db.session.refresh(booking)
    for message in messages(booking.id):
        if (
            message.kind == kind
            and message.snapshot["ics_sequence"] == booking.ics_sequence
            and message.snapshot["starts_at"] == booking.starts_at.isoformat()
        ):
            return
    outbox.queue(kind, booking, now=now)
    db.session.commit()


def parse_mail(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.SMTP)


@dataclass
class Invitation:
    message: EmailMessage
    method: str  # the MIME method= parameter
    calendar: bytes  # the decoded bytes of the inline text/calendar part
    text: str
    html: str


def check_structure(raw: bytes) -> Invitation:
    """Assert ICS.md rule 2 on received bytes and return the parts."""
    message = parse_mail(raw)
    assert message.get_content_type() == "multipart/mixed"
    children = message.get_payload()
    alternative = children[0]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_content_charset().lower() == "utf-8"
    method = calendar.get_param("method")
    assert method in ("REQUEST", "CANCEL")
    body = calendar.get_payload(decode=True)
    attachments = children[1:]
    assert len(attachments) == 1
    (attachment,) = attachments
    assert attachment.get_content_type() in ("application/ics", "text/calendar")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_payload(decode=True) == body
    # CRLF after every line, no bare LF or CR, and METHOD equal to the MIME parameter.
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    assert f"METHOD:{method}\r\n".encode() in body
    return Invitation(
        message=message,
        method=method,
        calendar=body,
        text=plain.get_content(),
        html=html.get_content(),
    )


def vevent(calendar: bytes):
    """Parse with vobject (a second, independent parser) and return (vcalendar, vevent)."""
    parsed = vobject.readOne(calendar.decode("utf-8"))
    return parsed, parsed.vevent
