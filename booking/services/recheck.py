"""The booking verbs' re-check: is one start still free, read inside the write transaction.

One statement reads the window of the start's clinic-local day (up to the slot's end when
it runs past midnight): the named therapist's hours when one is named, and every booking,
time off and closure overlapping that day, whichever therapist or room they hold. The
start is then judged by the same pure rules as the picker's. A refusal costs nothing more:
what the window proves free it proves for every start of that day, so the nearest free
times offered instead come from the same read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.policy import ClinicPolicy
from booking.scheduling import Policy, Slot, free_rooms, is_blocking
from booking.scheduling.localtime import local_day
from booking.services import availability
from booking.services.availability_window import ClinicWindow
from booking.services.clinic_settings import current_policy


class Recheck:
    """What one re-check read: the wanted start (if still free) and its day's free starts."""

    def __init__(self, wanted: datetime, slot: Slot | None, free, window: ClinicWindow):
        self.wanted = wanted
        self.slot = slot
        self._free = free  # list[Slot], or a callable computing it on first use
        self.window = window

    def free(self) -> list[Slot]:
        if callable(self._free):
            self._free = self._free()
        return self._free

    def alternatives(self, *, limit: int = 5, lost_to_overlap: bool = False) -> list[Slot]:
        """Return up to ``limit`` free starts of the window, nearest the wanted one first.

        ``lost_to_overlap``: the database refused the wanted slot because a booking committed
        after this read overlaps it; starts overlapping the wanted slot are then left out,
        since that booking may hold them too.
        """
        found = [s for s in self.free() if s.start != self.wanted]
        if lost_to_overlap and self.slot is not None:
            lost = self.slot
            found = [s for s in found if s.busy_until <= lost.start or lost.busy_until <= s.start]
        return sorted(found, key=lambda s: (abs(s.start - self.wanted), s.start))[:limit]


def at(
    service_id: int,
    buffer_minutes: int,
    minutes: int,
    start: datetime,
    *,
    now: datetime,
    therapist_id: int | None,
    earliest_start: datetime | None,
    exclude_booking_id: int | None = None,
    override: bool = False,
    rules: Policy | None = None,
    policy: ClinicPolicy | None = None,
) -> Recheck:
    """Re-check ``start`` (an aware instant) for the service lasting ``minutes``.

    ``override`` (staff, for a named therapist): any start that collides with no booking of
    the therapist or of every room; hours, notice, horizon, grid, time off and closures are
    the rules staff may override. ``rules`` replaces the clinic's policy (a course's later
    sessions may start past the booking horizon).
    """
    policy = policy or current_policy()
    zone = policy.zone
    day = start.astimezone(zone).date()
    span = local_day(day, zone)
    busy_until = start + timedelta(minutes=minutes + buffer_minutes)
    window_end = max(span.end, busy_until)
    window = availability.load_window(
        service_id, span.start, window_end, therapist_id, exclude_booking_id
    )

    def day_slots() -> list[Slot]:
        found = availability.slots_in(
            window,
            service_id,
            buffer_minutes,
            minutes,
            day,
            day,
            now=now,
            therapist_id=therapist_id,
            earliest_start=earliest_start,
            rules=rules,
            policy=policy,
        )
        # A slot running past the window's end could collide with what was not read.
        return [s for s in found if s.busy_until <= window_end]

    if override:
        slot = _override_slot(window, start, minutes, busy_until, therapist_id, now)
        return Recheck(start, slot, day_slots, window)
    free = day_slots()
    return Recheck(start, next((s for s in free if s.start == start), None), free, window)


def _override_slot(window, start, minutes, busy_until, therapist_id, now) -> Slot | None:
    for busy in window.bookings:
        if (
            busy.therapist_id == therapist_id
            and is_blocking(busy, now)
            and busy.start < busy_until
            and start < busy.busy_until
        ):
            return None
    if not free_rooms(window.room_ids, window.bookings, start, busy_until, now):
        return None
    end = start + timedelta(minutes=minutes)
    return Slot(start=start, end=end, busy_until=busy_until, therapist_ids=(therapist_id,))
