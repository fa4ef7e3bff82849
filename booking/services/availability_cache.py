"""A per-process cache of computed availability that cannot go stale.

Each entry is tagged with the ``schedule`` version that database triggers raise in the
same transaction as any change to bookings, hours, time off, closures, services,
therapists or rooms (see the migration "availability cache version"). A request reads
the version (one small query) and recomputes when it differs, so a change made by any
worker on any host is seen by the next request everywhere.

Time is the other input. The computation ignores notice, horizon and the clearance-hold
bound (applied to the cached list at read time against the exact ``now``) and records
when the earliest live hold in the window expires: from then on the entry is recomputed,
since that hold stops blocking. Booking verbs never use this cache; they re-check fresh
data inside their write transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from booking.extensions import db
from booking.models import CacheVersion, Service
from booking.models.cache import SCHEDULE
from booking.scheduling import Policy, Slot
from booking.services import availability

MAX_ENTRIES = 256
_EXTENSION = "availability_cache"
# Wide enough never to cut anything a real horizon allows.
_UNBOUNDED = timedelta(days=3650)


@dataclass(frozen=True)
class _Entry:
    version: int
    computed_at: datetime
    valid_until: datetime | None  # the earliest expiry of a hold that blocked, if any
    slots: tuple[Slot, ...]
    slugs: dict[int, str]


class _Store:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> _Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


def _store() -> _Store:
    return current_app.extensions.setdefault(_EXTENSION, _Store())


def current_version() -> int | None:
    return db.session.scalar(select(CacheVersion.version).where(CacheVersion.name == SCHEDULE))


@dataclass(frozen=True)
class CachedAvailability:
    slots: list[Slot]
    slugs: dict[int, str]


def slots(
    service: Service,
    minutes: int,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
) -> CachedAvailability:
    """Return the same starts as ``availability.slots_for``, from the cache when current."""
    policy = availability.policy()
    zone = availability.clinic_zone()
    key = (
        service.id,
        minutes,
        service.buffer_minutes,
        first_day,
        last_day,
        therapist_id,
        policy.slot_minutes,
        zone.key,
    )
    store = _store()
    version = current_version()
    entry = store.get(key)
    fresh = (
        entry is not None
        and version is not None
        and entry.version == version
        and entry.computed_at <= now
        and (entry.valid_until is None or now < entry.valid_until)
    )
    if fresh:
        store.hits += 1
    else:
        store.misses += 1
        entry = _compute(service, minutes, first_day, last_day, therapist_id, now, policy, version)
        if version is not None:
            store.put(key, entry)
    lowest = now + policy.min_notice
    if earliest_start is not None:
        lowest = max(lowest, earliest_start)
    highest = now + policy.horizon
    return CachedAvailability(
        slots=[s for s in entry.slots if lowest <= s.start <= highest], slugs=entry.slugs
    )


def _compute(service, minutes, first_day, last_day, therapist_id, now, policy, version):
    found = availability.slots_for(
        service,
        minutes,
        first_day,
        last_day,
        now=now,
        therapist_id=therapist_id,
        rules=Policy(slot_minutes=policy.slot_minutes, min_notice=timedelta(0), horizon=_UNBOUNDED),
    )
    live_holds = [
        b.hold_expires_at
        for b in found.window.bookings
        if b.status in ("held", "offered")
        and b.hold_expires_at is not None
        and b.hold_expires_at > now
    ]
    return _Entry(
        version=version or 0,
        computed_at=now,
        valid_until=min(live_holds, default=None),
        slots=tuple(found.slots),
        slugs=dict(found.window.slugs),
    )
