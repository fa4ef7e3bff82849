"""Setting the clinic up: services, durations, therapists, weekly hours, rooms.

Each verb checks its input, writes the change with an audit event (``Actor.staff``) in its
own write transaction; a refusal raises CatalogError with a reason code, the field it
concerns and a message an admin can act on. Nothing that bookings refer to is ever deleted:
services, therapists and rooms are deactivated instead, so history keeps its names.
Durations may be removed, because a booking copies its length and price when it is made.
What admins type is parsed by ``catalog_input``; feed URLs are ``feed_tokens``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from booking import validation
from booking.extensions import db
from booking.models import Room, Service, ServiceDuration, Therapist, WorkingHours
from booking.services.audit import Actor, record
from booking.services.catalog_input import WEEKDAYS, format_day_ranges, parse_week, text_field
from booking.services.errors import CatalogError
from booking.services.locking import write_transaction


def _slug(name: str, model, current_id: int | None = None) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "item"
    slug, n = base, 2
    while True:
        existing = db.session.scalar(select(model.id).where(model.slug == slug))
        if existing is None or existing == current_id:
            return slug
        slug, n = f"{base}-{n}", n + 1


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def create_service(
    *, name: str, summary: str, minutes: int, price_pence: int, actor: Actor, now: datetime
) -> Service:
    """Create a service with one duration (bookable once a therapist offers it). Commits."""
    name = text_field(name, "name", max_length=120, required=True)
    summary = text_field(summary, "summary", max_length=300, required=True)
    _check_duration(minutes, price_pence)
    with write_transaction():
        position = (db.session.scalar(select(func.max(Service.position))) or 0) + 1
        service = Service(
            slug=_slug(name, Service),
            name=name,
            summary=summary,
            body="",
            suits="",
            buffer_minutes=15,
            deep_pressure=False,
            new_patients=False,
            active=True,
            position=position,
            durations=[ServiceDuration(minutes=minutes, price_pence=price_pence)],
        )
        db.session.add(service)
        db.session.flush()
        record("service.created", actor=actor, now=now, service_id=service.id, name=name)
    return service


def update_service(
    service: Service,
    *,
    name: str,
    summary: str,
    body: str,
    suits: str,
    buffer_minutes: int,
    deep_pressure: bool,
    active: bool,
    therapist_ids: Iterable[int],
    actor: Actor,
    now: datetime,
    course_sessions: int | None = None,
) -> None:
    """Change a service's words, buffer, flags, course size and therapists. Commits.

    Existing bookings keep their times (a buffer change applies to new bookings only).
    ``course_sessions``: 0 offers no course, 2 to 12 a course of that many sessions; None
    leaves it as it is. Courses already booked keep their sessions.
    """
    name = text_field(name, "name", max_length=120, required=True)
    summary = text_field(summary, "summary", max_length=300, required=True)
    body = text_field(body, "body", max_length=20000, multiline=True)
    suits = text_field(suits, "suits", max_length=300)
    if not 0 <= int(buffer_minutes) <= 240:
        raise CatalogError("invalid_buffer", "Use 0 to 240 minutes.", field="buffer_minutes")
    if course_sessions is not None and not (
        int(course_sessions) == 0 or 2 <= int(course_sessions) <= 12
    ):
        raise CatalogError(
            "invalid", "Use 0 for no course, or 2 to 12 sessions.", field="course_sessions"
        )
    if active and not service.durations:
        raise CatalogError(
            "no_durations", "Add a duration before making it bookable.", field="active"
        )
    with write_transaction():
        therapists = _therapists(therapist_ids)
        before = {
            "name": service.name,
            "buffer_minutes": service.buffer_minutes,
            "deep_pressure": service.deep_pressure,
            "active": service.active,
            "course_sessions": service.course_sessions or 0,
            "therapists": sorted(t.id for t in service.therapists),
        }
        service.name, service.summary, service.body, service.suits = name, summary, body, suits
        service.buffer_minutes = int(buffer_minutes)
        service.deep_pressure = bool(deep_pressure)
        service.active = bool(active)
        if course_sessions is not None:
            service.course_sessions = int(course_sessions)
        service.therapists = therapists
        after = {
            "name": name,
            "buffer_minutes": service.buffer_minutes,
            "deep_pressure": service.deep_pressure,
            "active": service.active,
            "course_sessions": service.course_sessions or 0,
            "therapists": sorted(t.id for t in therapists),
        }
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        record("service.updated", actor=actor, now=now, service_id=service.id, changed=changed)


def _check_duration(minutes: int, price_pence: int) -> None:
    if not isinstance(minutes, int) or not 5 <= minutes <= 480:
        raise CatalogError("invalid_minutes", "Use 5 to 480 minutes.", field="minutes")
    if not isinstance(price_pence, int) or not 0 <= price_pence <= 10_000_00:
        raise CatalogError("invalid_price", "Use a price from £0 to £10,000.", field="price")


def add_duration(
    service: Service, *, minutes: int, price_pence: int, actor: Actor, now: datetime
) -> ServiceDuration:
    """Add a bookable length with its price. Raises CatalogError("duplicate_duration")."""
    _check_duration(minutes, price_pence)
    with write_transaction():
        if service.duration(minutes) is not None:
            raise CatalogError(
                "duplicate_duration",
                f"There is already a {minutes}-minute option.",
                field="minutes",
            )
        duration = ServiceDuration(minutes=minutes, price_pence=price_pence)
        service.durations.append(duration)
        try:
            db.session.flush()
        except IntegrityError:
            raise CatalogError(
                "duplicate_duration",
                f"There is already a {minutes}-minute option.",
                field="minutes",
            ) from None
        record(
            "service.duration_added",
            actor=actor,
            now=now,
            service_id=service.id,
            minutes=minutes,
            price_pence=price_pence,
        )
    return duration


def remove_duration(service: Service, duration_id: int, *, actor: Actor, now: datetime) -> None:
    """Remove a length (bookings keep theirs). An active service keeps at least one."""
    with write_transaction():
        duration = next((d for d in service.durations if d.id == duration_id), None)
        if duration is None:
            raise CatalogError("unknown_duration", "That duration no longer exists.")
        if service.active and len(service.durations) == 1:
            raise CatalogError(
                "last_duration",
                "A bookable service needs at least one duration; deactivate it first.",
            )
        service.durations.remove(duration)
        record(
            "service.duration_removed",
            actor=actor,
            now=now,
            service_id=service.id,
            minutes=duration.minutes,
            price_pence=duration.price_pence,
        )


def _therapists(ids: Iterable[int]) -> list[Therapist]:
    wanted = {int(i) for i in ids}
    found = (
        list(db.session.scalars(select(Therapist).where(Therapist.id.in_(wanted))))
        if wanted
        else []
    )
    if len(found) != len(wanted):
        raise CatalogError(
            "unknown_therapist", "A chosen therapist no longer exists.", field="therapists"
        )
    return sorted(found, key=lambda t: (t.position, t.id))


def _services(ids: Iterable[int]) -> list[Service]:
    wanted = {int(i) for i in ids}
    found = (
        list(db.session.scalars(select(Service).where(Service.id.in_(wanted)))) if wanted else []
    )
    if len(found) != len(wanted):
        raise CatalogError(
            "unknown_service", "A chosen service no longer exists.", field="services"
        )
    return sorted(found, key=lambda s: (s.position, s.id))


# --------------------------------------------------------------------------------------------
# Therapists and their weekly hours
# --------------------------------------------------------------------------------------------


def create_therapist(*, name: str, title: str, actor: Actor, now: datetime) -> Therapist:
    """Create an active therapist with no hours and no services yet. Commits."""
    try:
        name = validation.clean_name(name)
    except validation.InvalidInput as error:
        raise CatalogError("invalid_name", str(error), field="name") from None
    title = text_field(title, "title", max_length=120)
    with write_transaction():
        position = (db.session.scalar(select(func.max(Therapist.position))) or 0) + 1
        therapist = Therapist(
            slug=_slug(name, Therapist),
            name=name,
            title=title,
            bio="",
            active=True,
            position=position,
        )
        db.session.add(therapist)
        db.session.flush()
        record("therapist.created", actor=actor, now=now, therapist_id=therapist.id, name=name)
    return therapist


def update_therapist(
    therapist: Therapist,
    *,
    name: str,
    title: str,
    bio: str,
    active: bool,
    service_ids: Iterable[int],
    actor: Actor,
    now: datetime,
) -> None:
    """Change a therapist's details, whether they take bookings, and what they offer.

    Deactivating stops new bookings; existing ones stay (reception moves them). Commits.
    """
    try:
        name = validation.clean_name(name)
    except validation.InvalidInput as error:
        raise CatalogError("invalid_name", str(error), field="name") from None
    title = text_field(title, "title", max_length=120)
    bio = text_field(bio, "bio", max_length=5000, multiline=True)
    with write_transaction():
        services = _services(service_ids)
        before = {
            "name": therapist.name,
            "active": therapist.active,
            "services": sorted(s.id for s in therapist.services),
        }
        therapist.name, therapist.title, therapist.bio = name, title, bio
        therapist.active = bool(active)
        therapist.services = services
        after = {
            "name": name,
            "active": therapist.active,
            "services": sorted(s.id for s in services),
        }
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        record(
            "therapist.updated", actor=actor, now=now, therapist_id=therapist.id, changed=changed
        )


def week_texts(therapist: Therapist) -> dict[int, str]:
    """The hours editor's text per weekday."""
    by_day: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for row in therapist.working_hours:
        by_day[row.weekday].append((row.start_minute, row.end_minute))
    return {day: format_day_ranges(sorted(ranges)) for day, ranges in by_day.items()}


def set_weekly_hours(
    therapist: Therapist, texts: Mapping[int, str | None], *, actor: Actor, now: datetime
) -> None:
    """Replace the therapist's week with the parsed ``texts`` (weekday -> ranges). Commits.

    Raises CatalogError(field="day_<n>") and changes nothing when a day does not parse.
    Existing bookings outside the new hours stay; reception sees them on the day view.
    """
    rows = parse_week(texts)
    with write_transaction():
        before = week_texts(therapist)
        therapist.working_hours = [
            WorkingHours(weekday=day, start_minute=start, end_minute=end)
            for day, start, end in rows
        ]
        db.session.flush()
        after = week_texts(therapist)
        changed = {WEEKDAYS[d]: [before[d], after[d]] for d in range(7) if before[d] != after[d]}
        record(
            "therapist.hours_changed",
            actor=actor,
            now=now,
            therapist_id=therapist.id,
            changed=changed,
        )


# --------------------------------------------------------------------------------------------
# Rooms
# --------------------------------------------------------------------------------------------


def create_room(*, name: str, actor: Actor, now: datetime) -> Room:
    name = text_field(name, "name", max_length=80, required=True)
    with write_transaction():
        position = (db.session.scalar(select(func.max(Room.position))) or 0) + 1
        room = Room(slug=_slug(name, Room), name=name, active=True, position=position)
        db.session.add(room)
        db.session.flush()
        record("room.created", actor=actor, now=now, room_id=room.id, name=name)
    return room


def rename_room(room: Room, *, name: str, actor: Actor, now: datetime) -> None:
    name = text_field(name, "name", max_length=80, required=True)
    with write_transaction():
        old = room.name
        room.name = name
        record("room.renamed", actor=actor, now=now, room_id=room.id, old=old, new=name)


def set_room_active(room: Room, active: bool, *, actor: Actor, now: datetime) -> None:
    """Take a room out of use (or back). Its bookings stay; new ones go to other rooms."""
    with write_transaction():
        room.active = bool(active)
        record(
            "room.activated" if active else "room.deactivated",
            actor=actor,
            now=now,
            room_id=room.id,
        )
