"""A one-slot clinic and waitlist entries for the waitlist tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import OfferState, WaitlistOffer
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.waitlist import entries
from tests.screens import fine

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday
THURSDAY = date(2027, 3, 11)
THURSDAY_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)  # London is on GMT in early March
ONE_SLOT = {3: [(10 * 60, 11 * 60)]}  # Thursday 10:00-11:00: one 60-minute slot


def join(service_id, n=0, *, screen=None, now=NOW, **fields):
    request = entries.JoinRequest(
        service_id=service_id,
        minutes=fields.pop("minutes", 60),
        first_day=fields.pop("first_day", THURSDAY),
        last_day=fields.pop("last_day", THURSDAY),
        name=f"Waiting {n}",
        email=f"waiting{n}@example.org",
        phone="+447700900456",
        screen=screen or fine(),
        **fields,
    )
    entry, token = entries.join(request, actor=Actor.patient(), now=now)
    return entry.id, token


def book(service_id, start=THURSDAY_10, n=0, *, now=NOW, **fields):
    return bookings.book(
        bookings.BookingRequest(
            service_id=service_id,
            minutes=60,
            start=start,
            name=f"Booked {n}",
            email=f"booked{n}@example.org",
            phone="+447700900123",
            screen=fields.pop("screen", fine()),
            **fields,
        ),
        actor=Actor.patient(),
        now=now,
    ).booking.id


def offers(entry_id=None, state=OfferState.OPEN):
    db.session.rollback()
    query = select(WaitlistOffer).where(WaitlistOffer.state == state)
    if entry_id is not None:
        query = query.where(WaitlistOffer.entry_id == entry_id)
    return list(db.session.scalars(query.order_by(WaitlistOffer.id)))


def later(minutes):
    return NOW + timedelta(minutes=minutes)
