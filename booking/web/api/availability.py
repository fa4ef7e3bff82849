"""The catalogue and free times over JSON: ``GET /services`` and ``GET /availability``."""

from __future__ import annotations

from datetime import date, timedelta

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from booking import clock
from booking.extensions import db
from booking.models import Service, Therapist
from booking.services import availability, availability_cache, catalog
from booking.web.api.errors import ApiError
from booking.web.api.schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    ErrorResponse,
    ServicesOut,
    documented,
)

MAX_RANGE_DAYS = 62


def _service_json(service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "summary": service.summary,
        "deep_pressure": service.deep_pressure,
        "buffer_minutes": service.buffer_minutes,
        "durations": [
            {"minutes": d.minutes, "price_pence": d.price_pence} for d in service.durations
        ],
        "therapists": [t.slug for t in service.therapists if t.active],
    }


@documented(
    "List the bookable services with their durations and prices",
    responses={200: ("The services, in display order.", ServicesOut)},
    tags=("catalog",),
)
def services():
    return jsonify(services=[_service_json(s) for s in catalog.active_services()])


def _parse_day(name: str) -> date:
    raw = request.args.get(name, "")
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            f"'{name}' must be a date written YYYY-MM-DD.", fields={name: "Use YYYY-MM-DD."}
        ) from None


def _parse_minutes(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise ApiError("'duration' must be a whole number of minutes.", fields={"duration": raw})
    return int(raw)


def _service_and_therapist(
    slug: str, therapist_slug: str | None
) -> tuple[Service | None, int | None]:
    """Return the active service ``slug`` (durations loaded) and the active therapist's id.

    One statement, so that with the window's two a filtered request also stays at three.
    """
    if not slug:
        return None, None
    if not therapist_slug:
        return catalog.service_with_durations(slug), None
    therapist_id = (
        select(Therapist.id)
        .where(Therapist.slug == therapist_slug, Therapist.active.is_(True))
        .scalar_subquery()
    )
    row = (
        db.session.execute(
            select(Service, therapist_id)
            .where(Service.slug == slug, Service.active.is_(True))
            .options(joinedload(Service.durations))
        )
        .unique()
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


@documented(
    "Free start times for a service and duration",
    description="Times are in the clinic's zone with their UTC offset; each start lists "
    "the therapists free then.",
    query=AvailabilityQuery,
    responses={
        200: ("The free starts between the two days.", AvailabilityOut),
        400: ("Unknown service, duration or therapist; bad or reversed dates.", ErrorResponse),
    },
    tags=("availability",),
)
def availability_view():
    """Free starts for a service and duration between two clinic-local dates (inclusive)."""
    slug = request.args.get("service", "")
    therapist_slug = request.args.get("therapist")
    service, therapist_id = _service_and_therapist(slug, therapist_slug)
    if service is None:
        raise ApiError("Unknown service.", fields={"service": "No bookable service has that slug."})
    minutes = _parse_minutes(request.args.get("duration", ""))
    if service.duration(minutes) is None:
        offered = ", ".join(str(d.minutes) for d in service.durations)
        raise ApiError(
            f"{service.name} is not offered for {minutes} minutes.",
            fields={"duration": f"Choose one of: {offered}."},
        )
    first, last = _parse_day("from"), _parse_day("to")
    now = clock.now()
    zone = availability.clinic_zone()
    today = now.astimezone(zone).date()
    if last < first:
        raise ApiError("'to' is before 'from'.", fields={"to": "Must not be before 'from'."})
    if first < today:
        raise ApiError("'from' is in the past.", fields={"from": f"Use {today} or later."})
    if (last - first) >= timedelta(days=MAX_RANGE_DAYS):
        raise ApiError(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
            fields={"to": f"At most {MAX_RANGE_DAYS} days after 'from'."},
        )
    # Nothing past the booking horizon is offered: no need to read it (and a date near
    # 9999-12-31 would overflow the window arithmetic into a 500).
    last = min(last, today + availability.policy().horizon + timedelta(days=1))
    if therapist_slug and therapist_id is None:
        raise ApiError("Unknown therapist.", fields={"therapist": "No such therapist."})
    if first > last:
        found, slugs = [], {}
    else:
        result = availability_cache.slots(
            service, minutes, first, last, now=now, therapist_id=therapist_id
        )
        found, slugs = result.slots, result.slugs
    return jsonify(
        timezone=zone.key,
        service=service.slug,
        duration=minutes,
        slots=[
            {
                "start": slot.start.astimezone(zone).isoformat(),
                "end": slot.end.astimezone(zone).isoformat(),
                "therapists": [slugs[t] for t in slot.therapist_ids],
            }
            for slot in found
        ],
    )
