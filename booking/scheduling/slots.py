"""Slot search: which start times can be offered for a service, and with whom.

Rules (all must hold for a therapist to be listed on a start):

* the appointment itself, ``[start, end)``, lies inside the therapist's working hours. The
  buffer (cleanup after ``end``) may run past the end of a working range: it is a few
  minutes of tidying, not treatment, and demanding it inside hours would hide the last
  slot of every day. The buffer still must not collide with anything (next rule);
* ``[start, busy_until)`` (``busy_until = end + buffer``) overlaps no blocking booking of
  the therapist, none of their time off and no clinic closure, and at least one room has
  no blocking booking overlapping it;
* ``now + min_notice <= start <= now + horizon`` and ``start >= earliest_start``;
* ``start`` is on the slot grid counted in local wall-clock time from the start of the
  working range (a range from 09:10 gives 09:10, 09:25, ...). Wall times that do not exist
  (spring-forward gap) are skipped; ambiguous ones (fall-back overlap) are taken once, at
  their first occurrence, so local start times never repeat within a day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from booking.scheduling.bookings import BusyBooking, is_blocking
from booking.scheduling.grid import LocalGrid
from booking.scheduling.inputs import Policy, SlotQuery, TherapistAvailability
from booking.scheduling.intervals import Interval, require_aware
from booking.scheduling.localtime import local_day
from booking.scheduling.timeline import Timeline

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Slot:
    """One offerable start; all datetimes aware UTC.

    ``therapist_ids`` lists every therapist who could take it, by position then id.
    """

    start: datetime
    end: datetime
    busy_until: datetime
    therapist_ids: tuple[int, ...]


def find_slots(
    query: SlotQuery,
    *,
    tz: ZoneInfo,
    therapists: Iterable[TherapistAvailability],
    room_ids: Sequence[int],
    bookings: Iterable[BusyBooking],
    closures: Iterable[Interval],
    now: datetime,
    policy: Policy | None = None,
) -> list[Slot]:
    """Return every offerable start for ``query``, sorted by start (see module docstring).

    Pure: the result depends only on the arguments, not on their order. ``room_ids`` are the
    clinic's active rooms; bookings in other rooms still block their therapist.
    """
    require_aware(now, "now")
    policy = policy or Policy()
    duration, occupied = query.duration, query.occupied

    # Bounds on the start instant; slots belong to the local date they start on.
    lo = now + policy.min_notice
    if query.earliest_start is not None:
        lo = max(lo, query.earliest_start)
    hi = now + policy.horizon
    lo = max(lo, local_day(query.first_day, tz).start)
    hi = min(hi, local_day(query.last_day, tz).end)
    chosen = _eligible(therapists, query)
    if lo > hi or not chosen or not room_ids:
        return []
    window_end = hi + occupied  # no span we test reaches past this

    # Index what blocks, once: per therapist and per room, only inside the window.
    rooms = list(dict.fromkeys(room_ids))
    room_set = set(rooms)
    by_therapist: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    by_room: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for b in bookings:
        if b.start < window_end and b.busy_until > lo and is_blocking(b, now):
            by_therapist[b.therapist_id].append((b.start, b.busy_until))
            if b.room_id in room_set:
                by_room[b.room_id].append((b.start, b.busy_until))
    shut = [(c.start, c.end) for c in closures if c.start < window_end and c.end > lo]
    full_starts, full_ends = _rooms_full([by_room[r] for r in rooms], occupied)

    grid = LocalGrid(tz, query.first_day, query.last_day, policy.slot_minutes)
    offers: dict[datetime, list[int]] = {}
    for t in chosen:
        away = [(o.start, o.end) for o in t.time_off if o.start < window_end and o.end > lo]
        blockers = Timeline(by_therapist.get(t.therapist_id, []) + shut + away)
        b_starts, b_ends, n_blockers = blockers.starts, blockers.ends, len(blockers)
        for piece, block_end in grid.pieces(t.weekly):
            starts = grid.starts(piece)
            # [start, end) must fit in the working block; the buffer may run past it.
            i = bisect_left(starts, lo)
            stop = bisect_right(starts, min(hi, block_end - duration))
            while i < stop:
                start = starts[i]
                busy_until = start + occupied
                k = bisect_right(b_ends, start)  # the only blocker that can overlap
                if k < n_blockers and b_starts[k] < busy_until:
                    # Every start before that blocker ends overlaps it too: skip past it.
                    i = bisect_left(starts, b_ends[k], i + 1, stop)
                    continue
                i += 1
                # Every room busy for [start, busy_until) exactly when start lies strictly
                # inside one of the precomputed spans: one bisect, whatever the room count.
                f = bisect_right(full_starts, start) - 1
                if f >= 0 and full_starts[f] < start < full_ends[f]:
                    continue
                names = offers.setdefault(start, [])
                # Therapists are visited in order, so a repeat can only be the last entry
                # (two overlapping ranges of the same therapist offering the same start).
                if not names or names[-1] != t.therapist_id:
                    names.append(t.therapist_id)

    return [
        Slot(start, start + duration, start + occupied, tuple(offers[start]))
        for start in sorted(offers)
    ]


def _rooms_full(
    spans_per_room: Sequence[list[tuple[datetime, datetime]]], occupied: timedelta
) -> tuple[list[datetime], list[datetime]]:
    """Return the open spans ``(lo, hi)`` of starts for which every room is taken.

    A booking busy over ``[a, b)`` takes its room for a start ``s`` exactly when
    ``a - occupied < s < b``. Per room those open spans are merged (touching ones stay
    apart: their shared point is free); a start has no room when it lies inside one span of
    every room, found by one sweep over all rooms' spans. Built once per search, so each
    candidate start costs a bisect instead of a look at every room.
    """
    if not spans_per_room or any(not spans for spans in spans_per_room):
        return [], []  # a room with nothing booked is free for every start
    events: list[tuple[datetime, int]] = []
    for spans in spans_per_room:
        merged: list[list[datetime]] = []
        for a, b in sorted(spans):
            lo = a - occupied
            if merged and lo < merged[-1][1]:
                if b > merged[-1][1]:
                    merged[-1][1] = b
            else:
                merged.append([lo, b])
        for lo, hi in merged:
            # At one instant ends sort before starts (0 < 1): touching spans leave the
            # point between them uncovered.
            events.append((lo, 1))
            events.append((hi, 0))
    events.sort()
    need = len(spans_per_room)
    starts: list[datetime] = []
    ends: list[datetime] = []
    depth = 0
    for at, opens in events:
        if opens:
            depth += 1
            if depth == need:
                starts.append(at)
        else:
            if depth == need:
                ends.append(at)
            depth -= 1
    return starts, ends


def _eligible(
    therapists: Iterable[TherapistAvailability], query: SlotQuery
) -> list[TherapistAvailability]:
    """Return the therapists who offer the service (and match the filter), by position, id."""
    seen: set[int] = set()
    out = []
    for t in therapists:
        if t.therapist_id in seen:
            raise ValueError(f"therapist {t.therapist_id} given twice")
        seen.add(t.therapist_id)
        if query.service_id not in t.service_ids:
            continue
        if query.therapist_ids is not None and t.therapist_id not in query.therapist_ids:
            continue
        out.append(t)
    out.sort(key=lambda t: (t.position, t.therapist_id))
    return out
