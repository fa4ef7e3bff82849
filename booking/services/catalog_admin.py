"""Setting the clinic up: services, durations, therapists, weekly hours, rooms, feed URLs.

Each verb checks its input, writes the change with an audit event (``Actor.staff``) in its
own write transaction; a refusal raises CatalogError with a reason code, the field it
concerns and a message an admin can act on. Nothing that bookings refer to is ever deleted:
services, therapists and rooms are deactivated instead, so history keeps its names.
Durations may be removed, because a booking copies its length and price when it is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from booking import validation
from booking.extensions import db
from booking.models import FeedToken, Room, Service, ServiceDuration, Therapist, WorkingHours
from booking.models.schedule import MINUTES_PER_DAY
from booking.services.audit import Actor, record
from booking.services.errors import CatalogError
from booking.services.locking import write_transaction
from booking.tokens import new_token, token_hash

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


# --------------------------------------------------------------------------------------------
# Parsing what admins type
# --------------------------------------------------------------------------------------------

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_RANGE = re.compile(r"(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})")


def _clock_minutes(text: str, *, end: bool) -> int:
    if end and text == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"“{text}” is not a time; write times as HH:MM, e.g. 09:00.")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_day_ranges(text: str | None) -> list[tuple[int, int]]:
    """Parse "09:00-13:00, 14:00-18:00" into minute ranges from local midnight.

    Strict: HH:MM on a 24-hour clock, ranges separated by commas, each ending after it
    starts. An end earlier than the start crosses midnight ("22:00-02:00" is 22:00 to 02:00
    the next morning, stored as 1320-1560). Blank means a day off. Raises ValueError with
    a message naming the bad part.
    """
    text = (text or "").strip()
    if not text:
        return []
    ranges = []
    for part in text.split(","):
        part = part.strip()
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(
                f"“{part}” is not a range; write it as 09:00-13:00 (several separated by commas)."
            )
        start = _clock_minutes(match.group(1), end=False)
        end = _clock_minutes(match.group(2), end=True)
        if end == start:
            raise ValueError(f"“{part}” starts and ends at the same time.")
        if end < start:
            end += MINUTES_PER_DAY  # crosses midnight
        ranges.append((start, end))
    ranges.sort()
    for (_, first_end), (second_start, _) in pairwise(ranges):
        if second_start < first_end:
            raise ValueError("Two ranges overlap; list each working period once.")
    return ranges


def parse_week(texts: Mapping[int, str | None]) -> list[tuple[int, int, int]]:
    """Parse one text per weekday (Monday = 0); return (weekday, start, end) rows.

    Raises CatalogError(field="day_<n>") for the first bad day, including a range that runs
    past midnight into the next day's first range.
    """
    rows: list[tuple[int, int, int]] = []
    for weekday in range(7):
        try:
            ranges = parse_day_ranges(texts.get(weekday))
        except ValueError as error:
            raise CatalogError("invalid_hours", str(error), field=f"day_{weekday}") from None
        rows.extend((weekday, start, end) for start, end in ranges)
    # Across days: a range crossing midnight must not run into the next day's hours.
    spans = sorted((w * MINUTES_PER_DAY + s, w * MINUTES_PER_DAY + e, w) for w, s, e in rows)
    for (_, first_end, day), (second_start, _, next_day) in pairwise(spans):
        if second_start < first_end:
            raise CatalogError(
                "invalid_hours",
                f"{WEEKDAYS[day]}'s hours run into {WEEKDAYS[next_day]}'s.",
                field=f"day_{day}",
            )
    if spans and spans[-1][1] > MINUTES_PER_WEEK and spans[-1][1] - MINUTES_PER_WEEK > spans[0][0]:
        raise CatalogError(
            "invalid_hours", "Sunday's hours run into Monday's.", field=f"day_{spans[-1][2]}"
        )
    return rows


def format_day_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """The inverse of parse_day_ranges: [(540, 780), (840, 1080)] -> "09:00-13:00, 14:00-18:00"."""

    def clock(minutes: int) -> str:
        minutes %= MINUTES_PER_DAY
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return ", ".join(
        f"{clock(s)}-{clock(e) if e != MINUTES_PER_DAY else '24:00'}" for s, e in ranges
    )


def parse_price(text: str | None) -> int:
    """Parse "55", "55.00" or "£52.50" into pence; raise ValueError otherwise."""
    cleaned = (text or "").strip().lstrip("£").strip().replace(",", "")
    match = re.fullmatch(r"(\d{1,5})(?:\.(\d{2}))?", cleaned)
    if match is None:
        raise ValueError("Write the price in pounds, e.g. 55 or 52.50.")
    return int(match.group(1)) * 100 + int(match.group(2) or 0)


def _slug(name: str, model, current_id: int | None = None) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "item"
    slug, n = base, 2
    while True:
        existing = db.session.scalar(select(model.id).where(model.slug == slug))
        if existing is None or existing == current_id:
            return slug
        slug, n = f"{base}-{n}", n + 1


def _text(
    value: str | None,
    field: str,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    try:
        text = validation.clean_text(value, max_length=max_length, multiline=multiline)
    except validation.InvalidInput as error:
        raise CatalogError("invalid_text", str(error), field=field) from None
    if required and not text:
        raise CatalogError("required", "Please fill this in.", field=field)
    return text


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def create_service(
    *, name: str, summary: str, minutes: int, price_pence: int, actor: Actor, now: datetime
) -> Service:
    """Create a service with one duration (bookable once a therapist offers it). Commits."""
    name = _text(name, "name", max_length=120, required=True)
    summary = _text(summary, "summary", max_length=300, required=True)
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
) -> None:
    """Change a service's words, buffer, flags and therapists. Commits.

    Existing bookings keep their times (a buffer change applies to new bookings only).
    """
    name = _text(name, "name", max_length=120, required=True)
    summary = _text(summary, "summary", max_length=300, required=True)
    body = _text(body, "body", max_length=20000, multiline=True)
    suits = _text(suits, "suits", max_length=300)
    if not 0 <= int(buffer_minutes) <= 240:
        raise CatalogError("invalid_buffer", "Use 0 to 240 minutes.", field="buffer_minutes")
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
            "therapists": sorted(t.id for t in service.therapists),
        }
        service.name, service.summary, service.body, service.suits = name, summary, body, suits
        service.buffer_minutes = int(buffer_minutes)
        service.deep_pressure = bool(deep_pressure)
        service.active = bool(active)
        service.therapists = therapists
        after = {
            "name": name,
            "buffer_minutes": service.buffer_minutes,
            "deep_pressure": service.deep_pressure,
            "active": service.active,
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
    title = _text(title, "title", max_length=120)
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
    title = _text(title, "title", max_length=120)
    bio = _text(bio, "bio", max_length=5000, multiline=True)
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
    name = _text(name, "name", max_length=80, required=True)
    with write_transaction():
        position = (db.session.scalar(select(func.max(Room.position))) or 0) + 1
        room = Room(slug=_slug(name, Room), name=name, active=True, position=position)
        db.session.add(room)
        db.session.flush()
        record("room.created", actor=actor, now=now, room_id=room.id, name=name)
    return room


def rename_room(room: Room, *, name: str, actor: Actor, now: datetime) -> None:
    name = _text(name, "name", max_length=80, required=True)
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


# --------------------------------------------------------------------------------------------
# Calendar feed URLs
# --------------------------------------------------------------------------------------------


def create_feed_token(
    *, therapist_id: int | None, label: str, actor: Actor, now: datetime
) -> tuple[FeedToken, str]:
    """Create a feed for one therapist (or the whole clinic when None); return it and its token.

    The token is returned once: only its hash is stored, so it cannot be shown again.
    """
    label = _text(label, "label", max_length=100)
    with write_transaction():
        if therapist_id is not None and db.session.get(Therapist, therapist_id) is None:
            raise CatalogError(
                "unknown_therapist", "There is no such therapist.", field="therapist"
            )
        token = new_token()
        row = FeedToken(
            therapist_id=therapist_id, token_hash=token_hash(token), label=label, created_at=now
        )
        db.session.add(row)
        db.session.flush()
        record(
            "feed_token.created",
            actor=actor,
            now=now,
            feed_token_id=row.id,
            therapist_id=therapist_id,
        )
    return row, token


def revoke_feed_token(row: FeedToken, *, actor: Actor, now: datetime) -> None:
    """Revoke a feed URL: it answers 404 from now on. Revoking twice changes nothing."""
    with write_transaction():
        if row.revoked_at is not None:
            return
        row.revoked_at = now
        record("feed_token.revoked", actor=actor, now=now, feed_token_id=row.id)
