"""Who is offered a free time: the longest waiting first, among those whose wishes fit.

One pass of the worker hands each waiting entry at most one time. Entries are taken in
queue order (joined, then id); each gets the earliest fitting time that no earlier entry
of this pass was given and that does not overlap one given. An entry with an offer still
open gets nothing more: nobody holds two offers at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Local start times that count as each part of the day, in minutes after midnight.
DAY_PARTS: dict[str, tuple[int, int]] = {
    "morning": (0, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 24 * 60),
}

# An offer shorter than this could not reasonably be answered: the time is not offered.
MIN_OFFER = timedelta(minutes=5)


@dataclass(frozen=True)
class Wish:
    """A waiting entry as the rule sees it. Empty ``weekdays``/``day_parts`` mean any."""

    entry_id: int
    joined_at: datetime
    service_id: int
    minutes: int
    first_day: date
    last_day: date
    therapist_id: int | None = None
    weekdays: frozenset[int] = frozenset()
    day_parts: frozenset[str] = frozenset()
    # A screen that would hold the booking: no start before this (time to get cleared).
    earliest_start: datetime | None = None
    has_open_offer: bool = False
    # Times this entry was already offered and let go (declined, expired, skipped), as
    # (start, end): neither they nor a start overlapping them is offered to it again, so
    # the freed gap goes to the next entry, not back to this one 15 minutes later.
    refused_times: frozenset[tuple[datetime, datetime]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FreeTime:
    """A bookable start for one service and length, and who could give it."""

    service_id: int
    minutes: int
    start: datetime
    busy_until: datetime
    therapist_ids: tuple[int, ...]

    def overlaps(self, other: FreeTime) -> bool:
        return self.start < other.busy_until and other.start < self.busy_until


def fits(wish: Wish, time: FreeTime, zone: ZoneInfo) -> bool:
    """Say whether ``time`` is one ``wish`` asked for."""
    if (time.service_id, time.minutes) != (wish.service_id, wish.minutes):
        return False
    if wish.therapist_id is not None and wish.therapist_id not in time.therapist_ids:
        return False
    if wish.earliest_start is not None and time.start < wish.earliest_start:
        return False
    if any(time.start < end and start < time.busy_until for start, end in wish.refused_times):
        return False
    local = time.start.astimezone(zone)
    if not wish.first_day <= local.date() <= wish.last_day:
        return False
    if wish.weekdays and local.weekday() not in wish.weekdays:
        return False
    if wish.day_parts:
        minute = local.hour * 60 + local.minute
        return any(
            DAY_PARTS[p][0] <= minute < DAY_PARTS[p][1] for p in wish.day_parts if p in DAY_PARTS
        )
    return True


def assign(
    wishes: Iterable[Wish], times: Sequence[FreeTime], zone: ZoneInfo
) -> list[tuple[Wish, FreeTime]]:
    """Return (wish, time) pairs to offer now, in queue order.

    Overlapping times are never both given in one pass (they may need the same therapist or
    room); the next pass sees what the first reservation left and continues.
    """
    ordered = sorted(times, key=lambda t: (t.start, t.service_id, t.minutes, t.therapist_ids))
    given: list[FreeTime] = []
    pairs: list[tuple[Wish, FreeTime]] = []
    for wish in sorted(wishes, key=lambda w: (w.joined_at, w.entry_id)):
        if wish.has_open_offer:
            continue
        for time in ordered:
            if fits(wish, time, zone) and not any(time.overlaps(g) for g in given):
                given.append(time)
                pairs.append((wish, time))
                break
    return pairs


def offer_expiry(
    now: datetime, start: datetime, *, length: timedelta, min_notice: timedelta
) -> datetime | None:
    """Return when an offer of ``start`` made at ``now`` ends, or None if it is too late.

    The full ``length`` when the start is far; when it is near, half the time left before
    the minimum notice (so a decline or an expiry still leaves the next patient time), and
    never past the minimum notice, when the time stops being bookable anyway.
    """
    left = start - min_notice - now
    offered = min(length, left / 2) if left < 2 * length else length
    if offered < MIN_OFFER:
        return None
    return now + offered
