"""Availability for the picker, the API and the booking verbs.

Loads, for one window, only the rows that can matter (``availability_window``: one
statement whatever the window, the number of therapists or the size of the history), and
asks the pure scheduler. Nothing is cached here: the cold computation is within the page
budget, and a cache shared by several workers and hosts would need invalidation on every
booking, hold expiry and schedule change. Reading the database every time cannot go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.models import Service
from booking.policy import ClinicPolicy
from booking.scheduling import (
    Policy,
    Slot,
    SlotQuery,
    find_slots,
)
from booking.services import clearance_window

# The window loader lives in its own module; its names stay importable from here.
from booking.services.availability_window import (  # noqa: F401
    BLOCKING,
    MAX_BUSY_SPAN,
    ClinicWindow,
    load_window,
    window_sql,
)
from booking.services.clinic_settings import current_policy


def clinic_zone() -> ZoneInfo:
    """The clinic's time zone, from the policy in force."""
    return current_policy().zone


def policy(clinic: ClinicPolicy | None = None) -> Policy:
    """The scheduler's rules (grid, notice, horizon) from the clinic's policy."""
    clinic = clinic or current_policy()
    return Policy(
        slot_minutes=clinic.slot_minutes, min_notice=clinic.min_notice, horizon=clinic.horizon
    )


scheduling_rules = policy  # the name to use where a ``policy`` argument hides it


def hold_start_bound(now: datetime, *, policy: ClinicPolicy | None = None) -> datetime:
    """Return the earliest start a clearance hold may take (leaves a working day to get
    cleared; see ``services.clearance_window``)."""
    return clearance_window.earliest_hold_start(now, policy=policy)


def utc_window(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC span whose rows can affect slots starting on ``first_day..last_day``.

    One local day either side: hours that cross midnight start the day before, and a slot
    late on the last day runs into the next.
    """
    start = datetime.combine(first_day - timedelta(days=1), time(0), zone)
    end = datetime.combine(last_day + timedelta(days=2), time(0), zone)
    return start, end


@dataclass(frozen=True)
class Availability:
    slots: list[Slot]
    window: ClinicWindow


def slots_for(
    service: Service,
    minutes: int,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
    rules: Policy | None = None,
    policy: ClinicPolicy | None = None,
) -> Availability:
    """Return the bookable starts for ``service`` lasting ``minutes`` on those local days.

    ``rules`` replaces the scheduler's rules from ``policy`` (the cache computes without
    notice or horizon and applies them when it reads).
    """
    policy = policy or current_policy()
    zone = policy.zone
    window_start, window_end = utc_window(first_day, last_day, zone)
    window = load_window(service.id, window_start, window_end, therapist_id, exclude_booking_id)
    slots = slots_in(
        window,
        service.id,
        service.buffer_minutes,
        minutes,
        first_day,
        last_day,
        now=now,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
        rules=rules,
        policy=policy,
    )
    return Availability(slots=slots, window=window)


def slots_in(
    window: ClinicWindow,
    service_id: int,
    buffer_minutes: int,
    minutes: int,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    rules: Policy | None = None,
    policy: ClinicPolicy | None = None,
) -> list[Slot]:
    """Return the bookable starts on those local days that an already loaded window shows."""
    clinic = policy or current_policy()
    query = SlotQuery(
        service_id=service_id,
        duration_minutes=minutes,
        buffer_minutes=buffer_minutes,
        first_day=first_day,
        last_day=last_day,
        therapist_ids=None if therapist_id is None else frozenset({therapist_id}),
        earliest_start=earliest_start,
    )
    return find_slots(
        query,
        tz=clinic.zone,
        therapists=window.therapists,
        room_ids=window.room_ids,
        bookings=window.bookings,
        closures=window.closures,
        now=now,
        policy=rules or scheduling_rules(clinic),
    )


def is_offered(
    service: Service,
    minutes: int,
    start: datetime,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
    policy: ClinicPolicy | None = None,
) -> bool:
    """Say whether ``start`` is a free start for the service right now."""
    policy = policy or current_policy()
    day = start.astimezone(policy.zone).date()
    found = slots_for(
        service,
        minutes,
        day,
        day,
        now=now,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
        exclude_booking_id=exclude_booking_id,
        policy=policy,
    )
    return any(slot.start == start for slot in found.slots)
