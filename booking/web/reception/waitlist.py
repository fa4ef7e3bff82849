"""The waitlist page: who waits for a service on a day, the offer in flight, and actions.

Reception sees contact details and the wish; never the screen's answers (only whether the
entry waits for times that leave the day needed to get cleared, as the hold queue shows).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for

from booking.extensions import db
from booking.models import WaitlistEntry, WaitlistOffer
from booking.services import availability, catalog
from booking.services.errors import BookingError
from booking.services.waitlist import desk
from booking.waitlist import DAY_PARTS
from booking.web import picker
from booking.web.reception import bp
from booking.web.reception.actions import current_time, staff_actor

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def wish_summary(entry: WaitlistEntry) -> str:
    """The wish in a line: length, who, which dates, which days and times of day."""
    parts = [f"{entry.minutes} min", entry.therapist.name if entry.therapist else "any therapist"]
    if entry.first_day == entry.last_day:
        parts.append(f"{entry.first_day:%a %-d %b}")
    else:
        parts.append(f"{entry.first_day:%-d %b} to {entry.last_day:%-d %b}")
    if entry.weekdays:
        parts.append(", ".join(WEEKDAYS[d] for d in sorted(entry.weekdays)))
    if entry.day_parts:
        parts.append(" or ".join(p for p in DAY_PARTS if p in entry.day_parts))
    if entry.booking_id is not None:
        parts.append("would move an existing booking earlier")
    return "; ".join(parts)


def _day() -> date:
    raw = request.args.get("date", "")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _today()
    except ValueError:
        return _today()


def _today() -> date:
    return current_time().astimezone(availability.clinic_zone()).date()


def _back(entry: WaitlistEntry | None = None):
    service = request.form.get("service") or (entry.service.slug if entry else "")
    day = request.form.get("date", "")
    return redirect(url_for("reception.waitlist", service=service, date=day), code=303)


def _entry(ref: str) -> WaitlistEntry:
    entry = desk.find(ref)
    if entry is None:
        abort(404)
    return entry


@bp.get("/waitlist")
def waitlist():
    now = current_time()
    services = catalog.active_services()
    service = catalog.service_by_slug(request.args.get("service", "")) or (
        services[0] if services else None
    )
    day = _day()
    rows = desk.queue(service, day, now=now) if service is not None else []
    return render_template(
        "reception/waitlist.html",
        services=services,
        service=service,
        day=day,
        rows=rows,
        now=now,
        wish_summary=wish_summary,
    )


@bp.post("/waitlist/<ref>/offer")
def waitlist_offer(ref: str):
    entry = _entry(ref)
    start = picker.parse_start(request.form.get("start", ""))
    if start is None:
        flash("Choose one of the free times to offer.", "error")
        return _back(entry)
    now = current_time()
    try:
        offer_id = desk.offer_by_hand(entry.id, start, actor=staff_actor(), now=now)
    except BookingError as refusal:
        flash(refusal.message, "error")
        return _back(entry)
    offer = db.session.get(WaitlistOffer, offer_id)
    zone = availability.clinic_zone()
    flash(
        f"Offered {offer.starts_at.astimezone(zone):%a %-d %b %H:%M} to {entry.contact_name}: "
        f"the time is kept for them until {offer.expires_at.astimezone(zone):%H:%M}.",
        "success",
    )
    return _back(entry)


@bp.post("/waitlist/<ref>/skip")
def waitlist_skip(ref: str):
    entry = _entry(ref)
    try:
        desk.skip(entry.id, actor=staff_actor(), now=current_time())
    except BookingError as refusal:
        flash(refusal.message, "error")
        return _back(entry)
    flash(
        f"Skipped {entry.contact_name}: the time goes to the next patient it suits. "
        "They stay on the waitlist for other times.",
        "success",
    )
    return _back(entry)


@bp.post("/waitlist/<ref>/remove")
def waitlist_remove(ref: str):
    entry = _entry(ref)
    try:
        desk.remove(
            entry.id, request.form.get("reason", ""), actor=staff_actor(), now=current_time()
        )
    except BookingError as refusal:
        flash(refusal.message, "error")
        return _back(entry)
    flash(f"Removed {entry.contact_name} from the waitlist.", "success")
    return _back(entry)
