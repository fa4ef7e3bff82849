"""Reads of what the clinic offers: services, therapists, opening hours."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from booking.extensions import db
from booking.models import Service, Therapist, WorkingHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def active_services() -> list[Service]:
    """Return the bookable services in display order, with durations loaded."""
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.active.is_(True))
            .options(selectinload(Service.durations), selectinload(Service.therapists))
            .order_by(Service.position, Service.name)
        )
    )


def service_by_slug(slug: str) -> Service | None:
    """Return the active service called ``slug``, or None."""
    return db.session.scalar(
        select(Service)
        .where(Service.slug == slug, Service.active.is_(True))
        .options(selectinload(Service.durations), selectinload(Service.therapists))
    )


def active_therapists() -> list[Therapist]:
    return list(
        db.session.scalars(
            select(Therapist)
            .where(Therapist.active.is_(True))
            .options(selectinload(Therapist.services), selectinload(Therapist.working_hours))
            .order_by(Therapist.position, Therapist.name)
        )
    )


@dataclass(frozen=True)
class OpeningDay:
    weekday: str
    ranges: tuple[tuple[int, int], ...]  # (start_minute, end_minute), merged


def opening_hours() -> list[OpeningDay]:
    """Return, per weekday, when at least one active therapist works (merged ranges)."""
    rows = db.session.execute(
        select(WorkingHours.weekday, WorkingHours.start_minute, WorkingHours.end_minute)
        .join(Therapist)
        .where(Therapist.active.is_(True))
    )
    per_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for weekday, start, end in rows:
        per_day[weekday].append((start, end))
    days = []
    for weekday, name in enumerate(WEEKDAYS):
        merged: list[list[int]] = []
        for start, end in sorted(per_day.get(weekday, [])):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        days.append(OpeningDay(name, tuple((s, e) for s, e in merged)))
    return days


# Built once: constructing and keying an ORM statement costs about as much as running it,
# and a booking request runs both.
_SERVICE_BY_SLUG = (
    select(Service)
    .where(Service.slug == bindparam("slug"), Service.active.is_(True))
    .options(joinedload(Service.durations))
)
_THERAPIST_BY_SLUG = (
    select(Therapist)
    .where(Therapist.slug == bindparam("slug"), Therapist.active.is_(True))
    .options(joinedload(Therapist.services))
)


def service_with_durations(slug: str) -> Service | None:
    """Return the active service ``slug`` with its durations, in a single statement."""
    return db.session.execute(_SERVICE_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()


def therapist_by_slug(slug: str) -> Therapist | None:
    """Return the active therapist ``slug`` with the services they offer, in one statement."""
    return db.session.execute(_THERAPIST_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()
