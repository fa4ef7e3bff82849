"""Emails carry the reference and the price, and offer only the actions that still apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from booking import clock
from booking.models import MessageKind, OutboxMessage
from booking.notify.compose import QueuedEmail, compose
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.tokens import new_token
from tests.support.notify import book, ensure_queued, make_clinic, messages

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)
NOTE = "Quokkafeather sciatica on the left"


def bodies(message: OutboxMessage, *, now: datetime = NOW) -> tuple[str, str]:
    item = QueuedEmail(
        id=message.id,
        kind=message.kind,
        to_address=message.to_address,
        message_id=message.message_id,
        snapshot=dict(message.snapshot),
        created_at=message.created_at,
    )
    composed = compose(item, manage_token=new_token(), now=now, policy=current_policy())
    text = composed.message.get_body(("plain",)).get_content()
    html = composed.message.get_body(("html",)).get_content()
    return text, html


def only(kind: MessageKind) -> OutboxMessage:
    return next(m for m in messages() if m.kind is kind)


def test_a_confirmation_has_the_reference_price_and_calendar_links(app):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW, note=NOTE)
    ensure_queued(MessageKind.BOOKED, booking, now=NOW)
    text, html = bodies(only(MessageKind.BOOKED))
    reference = booking.public_id[:8].upper()
    for body in (text, html):
        assert reference in body
        assert "£62" in body
        assert "change or cancel" in body
        assert "calendar.google.com" in body and "outlook.live.com" in body
        assert "Quokkafeather" not in unquote(body) and "sciatica" not in unquote(body)


def test_a_cancellation_offers_no_change_or_cancel(app):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
        bookings.cancel(booking.id, actor=Actor.patient(), now=NOW)
    ensure_queued(MessageKind.CANCELLED, booking, now=NOW)
    text, html = bodies(only(MessageKind.CANCELLED))
    for body in (text, html):
        assert booking.public_id[:8].upper() in body
        assert "cancel your booking" not in body.lower()
        assert "change or cancel" not in body.lower()
        assert "calendar.google.com" not in body
        assert "Cancellation policy" not in body
        assert "book again" in body


def test_inside_the_cut_off_the_email_says_call_us_instead(app):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    ensure_queued(MessageKind.BOOKED, booking, now=NOW)
    late = START - timedelta(hours=3)  # a reminder read on the day
    text, html = bodies(only(MessageKind.BOOKED), now=late)
    for body in (text, html):
        assert "change or cancel your booking" not in body.lower()
        assert "please call us" in body
