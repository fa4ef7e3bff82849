"""The plain values slot search takes: weekly hours, therapists, policy and the query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.scheduling.intervals import Interval, require_aware

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    """One working range of a therapist's week, in the clinic's wall-clock time.

    Minutes count from local midnight of ``weekday`` (Monday = 0). ``end_minute`` may pass
    1440: 22*60 .. 26*60 is 22:00 to 02:00 the next morning. Several ranges on one weekday
    make breaks (09:00-13:00 and 14:00-18:00 is a lunch hour).
    """

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise ValueError(f"start_minute must be 0..1439, got {self.start_minute}")
        if self.end_minute <= self.start_minute:
            raise ValueError("end_minute must be after start_minute")
        # Same limit as the database: a range never covers more than a day.
        if self.end_minute - self.start_minute > MINUTES_PER_DAY:
            raise ValueError("a working range may last at most 24 hours")


@dataclass(frozen=True, slots=True)
class TherapistAvailability:
    """What slot search needs to know about one therapist."""

    therapist_id: int
    position: int
    service_ids: frozenset[int]
    weekly: tuple[WeeklyRange, ...]
    time_off: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists/sets from callers but keep the value hashable and immutable.
        object.__setattr__(self, "service_ids", frozenset(self.service_ids))
        object.__setattr__(self, "weekly", tuple(self.weekly))
        object.__setattr__(self, "time_off", tuple(self.time_off))


@dataclass(frozen=True, slots=True)
class Policy:
    """Clinic-wide booking rules."""

    slot_minutes: int = 15
    min_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=60)

    def __post_init__(self) -> None:
        if self.slot_minutes <= 0:
            raise ValueError("slot_minutes must be positive")
        if self.min_notice < timedelta(0) or self.horizon < timedelta(0):
            raise ValueError("min_notice and horizon must not be negative")


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """Which slots to look for.

    ``first_day`` and ``last_day`` (inclusive) are clinic-local dates; a slot belongs to the
    local date on which it starts. ``therapist_ids`` None means any therapist.
    ``earliest_start`` is an extra lower bound on the start (e.g. from
    :func:`booking.scheduling.holds.earliest_hold_start` for a clearance hold).
    """

    service_id: int
    duration_minutes: int
    buffer_minutes: int
    first_day: date
    last_day: date
    therapist_ids: frozenset[int] | None = None
    earliest_start: datetime | None = None

    def __post_init__(self) -> None:
        if self.duration_minutes <= 0:
            raise ValueError("duration_minutes must be positive")
        if self.buffer_minutes < 0:
            raise ValueError("buffer_minutes must not be negative")
        if self.last_day < self.first_day:
            raise ValueError("last_day must not be before first_day")
        if self.therapist_ids is not None:
            object.__setattr__(self, "therapist_ids", frozenset(self.therapist_ids))
        if self.earliest_start is not None:
            require_aware(self.earliest_start, "earliest_start")

    @property
    def duration(self) -> timedelta:
        """Return the length of the appointment itself."""
        return timedelta(minutes=self.duration_minutes)

    @property
    def occupied(self) -> timedelta:
        """Return how long therapist and room are taken: appointment plus buffer."""
        return timedelta(minutes=self.duration_minutes + self.buffer_minutes)
