"""Planning a course: the same local weekday and time every N weeks, and what is free.

A course's sessions are wanted at the first session's wall-clock time in the clinic's
zone, every ``every_weeks`` weeks: 10:00 Europe/London stays 10:00 across a clock change,
so the UTC instant moves by an hour. For each wanted start the caller loads the free slots
of that session's week (the seven local days centred on the wanted day, see
:func:`session_week`) and :func:`plan_course` says whether the wanted start is free with
the course's therapist, and otherwise which free start of that week is nearest: the same
therapist first, then anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.scheduling.intervals import require_aware
from booking.scheduling.localtime import boundary_to_utc, local_midnight
from booking.scheduling.slots import Slot

# Days either side of a wanted day that a session may move to: seven days in all, so the
# weeks of a weekly course never overlap.
WEEK_SPAN_DAYS = 3


def wanted_starts(
    first_start: datetime, *, every_weeks: int, sessions: int, tz: ZoneInfo
) -> list[datetime]:
    """Return each session's wanted start (UTC): the first's local weekday and wall time.

    Raises ValueError for a cadence outside 1-4 weeks or fewer than one session.
    """
    require_aware(first_start, "first_start")
    if not 1 <= every_weeks <= 4:
        raise ValueError("every_weeks must be 1 to 4")
    if sessions < 1:
        raise ValueError("a course has at least one session")
    local = first_start.astimezone(tz)
    wall = local.replace(tzinfo=None)
    starts = []
    for number in range(sessions):
        # A wall time in a spring-forward gap becomes the jump (never at clinic hours).
        starts.append(boundary_to_utc(wall + timedelta(weeks=every_weeks * number), tz))
    return starts


def session_week(wanted: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """Return the first and last local day a session wanted at ``wanted`` may move to."""
    day = wanted.astimezone(tz).date()
    return day - timedelta(days=WEEK_SPAN_DAYS), day + timedelta(days=WEEK_SPAN_DAYS)


def week_bounds(wanted: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of :func:`session_week`: from its first local midnight to after its last."""
    first, last = session_week(wanted, tz)
    return (
        boundary_to_utc(local_midnight(first), tz),
        boundary_to_utc(local_midnight(last + timedelta(days=1)), tz),
    )


@dataclass(frozen=True)
class PlannedSession:
    """One session of a planned course.

    ``slot`` is what would be booked: the wanted start when ``free``, otherwise the nearest
    alternative (None when the week has nothing). ``therapist_id`` is who it would be with.
    ``alternatives`` are that week's other free starts, nearest first, the course's
    therapist before anyone else.
    """

    number: int  # 1-based
    wanted: datetime
    free: bool
    slot: Slot | None
    therapist_id: int | None
    alternatives: tuple[Slot, ...]

    @property
    def moved(self) -> bool:
        return not self.free and self.slot is not None


@dataclass(frozen=True)
class CoursePlan:
    therapist_id: int | None  # the course's therapist: named, or the one free most often
    sessions: tuple[PlannedSession, ...]

    @property
    def all_free(self) -> bool:
        return all(s.free for s in self.sessions)

    @property
    def bookable(self) -> bool:
        """Every session has a time: wanted or an alternative."""
        return all(s.slot is not None for s in self.sessions)


def plan_course(
    wanted: Sequence[datetime],
    free: Sequence[Sequence[Slot]],
    *,
    therapist_id: int | None,
    alternatives: int = 4,
) -> CoursePlan:
    """Plan each wanted start against the free slots of its week (``free[i]`` for ``wanted[i]``).

    ``therapist_id`` None ("anyone"): the course's therapist is the one free at the first
    wanted start who is free at the most wanted starts (ties: the order the slot lists
    them in). Without anyone free at the first start, the one free at the most wanted
    starts at all.
    """
    if len(wanted) != len(free):
        raise ValueError("one list of free slots per wanted start")
    by_start = [{s.start: s for s in week} for week in free]
    chosen = therapist_id if therapist_id is not None else _usual_therapist(wanted, by_start)
    sessions = []
    for number, (start, week) in enumerate(zip(wanted, free, strict=True), start=1):
        exact = by_start[number - 1].get(start)
        if exact is not None and (chosen is None or chosen in exact.therapist_ids):
            others = _nearest(week, start, chosen, skip=start)[:alternatives]
            sessions.append(
                PlannedSession(number, start, True, exact, _with(exact, chosen), tuple(others))
            )
            continue
        ranked = _nearest(week, start, chosen, skip=None)
        first = ranked[0] if ranked else None
        sessions.append(
            PlannedSession(
                number,
                start,
                False,
                first,
                _with(first, chosen) if first is not None else None,
                tuple(ranked[:alternatives]),
            )
        )
    return CoursePlan(chosen, tuple(sessions))


def _with(slot: Slot, preferred: int | None) -> int:
    return preferred if preferred in slot.therapist_ids else slot.therapist_ids[0]


def _nearest(week: Sequence[Slot], wanted: datetime, therapist_id, *, skip) -> list[Slot]:
    """Free starts of the week, the therapist's first, each group nearest ``wanted`` first."""
    candidates = [s for s in week if s.start != skip]

    def key(slot: Slot):
        other = therapist_id is not None and therapist_id not in slot.therapist_ids
        return (other, abs(slot.start - wanted), slot.start)

    return sorted(candidates, key=key)


def _usual_therapist(wanted: Sequence[datetime], by_start: list[dict]) -> int | None:
    counts: dict[int, int] = {}
    order: list[int] = []
    for start, slots in zip(wanted, by_start, strict=True):
        slot = slots.get(start)
        for tid in slot.therapist_ids if slot is not None else ():
            if tid not in counts:
                counts[tid] = 0
                order.append(tid)
            counts[tid] += 1
    first = by_start[0].get(wanted[0]) if wanted else None
    pool = list(first.therapist_ids) if first is not None else order
    if not pool:
        return None
    return max(pool, key=lambda tid: (counts.get(tid, 0), -order.index(tid)))
