"""Calendar files: staff subscription feeds and a patient's “Add to calendar” download.

``/feeds/<token>.ics`` is a therapist's own bookings (or the whole clinic's, for a
clinic-wide token) as a subscribed calendar. The token is the only credential: an unknown,
malformed or revoked one gets the same 404 as any miss.

Cancelled bookings, expired and released holds (and holds past their expiry) are left out
of the feed, deliberately: every calendar client removes an event that disappears from a
subscription, but not every client hides one left in with STATUS:CANCELLED (some still
show it as busy). Held bookings are shown as TENTATIVE.

Responses carry an ``ETag`` (a hash of the bytes) and ``Last-Modified`` (the latest change
among the bookings shown), so clients revalidate with a 304 and no body. The feed is
personal data behind a capability URL: ``Cache-Control: private`` (never a shared cache),
``max-age=300`` so a client polling more eagerly than the hourly refresh hint is answered
from its own cache.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import clock, ics
from booking.extensions import db
from booking.models import Booking, BookingStatus, FeedToken
from booking.notify.settings import calendar_uid, setting
from booking.services import manage_links
from booking.services.clinic_settings import current_policy
from booking.tokens import looks_like_token, token_hash
from booking.web import limits
from booking.web.calendar_links import FINISHED, appointment_facts

bp = Blueprint("feeds", __name__)
limits.token_lookups(bp)

CALENDAR_TYPE = "text/calendar; charset=utf-8"
DASH = "\u2013"  # an en dash between the service and the patient
SHOWN = (
    BookingStatus.HELD,
    BookingStatus.CONFIRMED,
    BookingStatus.ARRIVED,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)


def find_feed_token(token: str) -> FeedToken | None:
    """Return the live feed token ``token`` names, or None for any miss."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(FeedToken).where(
            FeedToken.token_hash == token_hash(token), FeedToken.revoked_at.is_(None)
        )
    )


def _feed_bookings(feed_token: FeedToken, now: datetime) -> list[Booking]:
    past = timedelta(days=int(setting("FEED_PAST_DAYS")))
    ahead = timedelta(days=current_policy().horizon_days + 1)
    query = (
        select(Booking)
        .where(
            Booking.status.in_(SHOWN),
            Booking.starts_at >= now - past,
            Booking.starts_at <= now + ahead,
        )
        .options(
            selectinload(Booking.service),
            selectinload(Booking.patient),
            selectinload(Booking.therapist),
            selectinload(Booking.room),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    if feed_token.therapist_id is not None:
        query = query.where(Booking.therapist_id == feed_token.therapist_id)
    # A hold past its expiry no longer holds the time, even before the worker marks it.
    return [
        b
        for b in db.session.scalars(query)
        if b.status is not BookingStatus.HELD or b.blocks_at(now)
    ]


def _event(booking: Booking, *, clinic_wide: bool) -> ics.FeedEvent:
    who = ics.short_patient_name(booking.contact_name or booking.patient.name)
    summary = f"{booking.service.name} {DASH} {who}" if who else booking.service.name
    details = [f"Room: {booking.room.name}"]
    if clinic_wide:
        details.insert(0, f"Therapist: {booking.therapist.name}")
    if booking.status is BookingStatus.HELD:
        details.append("Not yet confirmed")
    return ics.FeedEvent(
        uid=calendar_uid(booking.public_id),
        start=booking.starts_at,
        end=booking.ends_at,
        summary=summary,
        status="tentative" if booking.status is BookingStatus.HELD else "confirmed",
        last_modified=booking.updated_at,
        sequence=booking.ics_sequence,
        description="\n".join(details),
    )


@bp.get("/feeds/<token>.ics")
def staff_feed(token: str):
    feed_token = find_feed_token(token)
    if feed_token is None:
        abort(404)
    now = clock.now()
    found = _feed_bookings(feed_token, now)
    clinic = current_app.config["CLINIC_NAME"]
    clinic_wide = feed_token.therapist_id is None
    whose = "all bookings" if clinic_wide else feed_token.therapist.name
    name = f"{clinic} {DASH} {whose}"
    body = ics.feed(name, [_event(b, clinic_wide=clinic_wide) for b in found], prodid_name=clinic)
    response = Response(body, content_type=CALENDAR_TYPE)
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.last_modified = max((b.updated_at for b in found), default=feed_token.created_at)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


@bp.get("/manage/<token>/calendar.ics")
def manage_calendar(token: str):
    """The booking as a plain ``.ics`` file (no METHOD) for “Add to calendar”."""
    booking = manage_links.find_booking(token)
    if booking is None:
        abort(404)
    if booking.status in FINISHED:
        abort(410)
    body = ics.calendar_file(appointment_facts(booking, token, now=clock.now()))
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
