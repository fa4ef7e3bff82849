"""What the waitlist pages share: finding the entry a link opens, the clinic's today and
horizon, the therapist choices, putting a refusal on its form, the wish in plain words."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    abort,
    request,
)

from booking import clock
from booking.models import Service, WaitlistEntry
from booking.services import availability, catalog
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.waitlist import entries
from booking.web.forms import choices
from booking.web.waitlist.forms import DAY_PART_LABELS, WEEKDAYS, WishForm


def load_entry(token: str) -> WaitlistEntry:
    entry = entries.find_by_token(token, now=clock.now())
    if entry is None:
        abort(404)
    return entry


def today() -> date:
    return clock.now().astimezone(availability.clinic_zone()).date()


def horizon() -> date:
    return today() + timedelta(days=current_policy().horizon_days)


def therapist_choices(form: WishForm, service: Service) -> None:
    offering = [t for t in catalog.active_therapists() if t in service.therapists]
    form.therapist.choices = choices([("", "Any therapist")] + [(t.slug, t.name) for t in offering])


def therapist_id(form: WishForm) -> int | None:
    therapist = catalog.therapist_by_slug(form.therapist.data) if form.therapist.data else None
    return therapist.id if therapist else None


def show_refusal(form: WishForm, refusal: BookingError) -> None:
    field = form._fields.get(refusal.field or "")
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)


def wish_words(entry: WaitlistEntry) -> dict[str, str]:
    first, last = entry.first_day, entry.last_day
    days = (
        f"{first:%A} {first.day} {first:%B %Y}"
        if first == last
        else f"{first:%A} {first.day} {first:%B} to {last:%A} {last.day} {last:%B %Y}"
    )
    return {
        "days": days,
        "weekdays": ", ".join(WEEKDAYS[d] for d in entry.weekdays or ()) or "Any day",
        "day_parts": ", ".join(DAY_PART_LABELS[p] for p in entry.day_parts or ()) or "Any time",
        "therapist": entry.therapist.name if entry.therapist else "Any therapist",
    }


def requested_day() -> date | None:
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return None
    return day if today() <= day <= horizon() else None
