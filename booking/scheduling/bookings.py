"""Existing bookings as plain values, which of them block, and which rooms are free."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from booking.scheduling.intervals import require_aware

HELD = "held"
CONFIRMED = "confirmed"
ARRIVED = "arrived"
COMPLETED = "completed"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
EXPIRED = "expired"
RELEASED = "released"
OFFERED = "offered"  # reserved for a waitlist offer; blocks like a hold until it expires

STATUSES = frozenset(
    {HELD, CONFIRMED, ARRIVED, COMPLETED, NO_SHOW, CANCELLED, EXPIRED, RELEASED, OFFERED}
)
EXPIRING = frozenset({HELD, OFFERED})
# Statuses that hold the therapist and room regardless of time. HELD blocks only while live.
ALWAYS_BLOCKING = frozenset({CONFIRMED, ARRIVED})


class _BusyFields(NamedTuple):
    therapist_id: int
    room_id: int
    start: datetime
    busy_until: datetime
    status: str
    hold_expires_at: datetime | None = None


class BusyBooking(_BusyFields):
    """One booking as the scheduler sees it: who, where, and ``[start, busy_until)``.

    ``busy_until`` is the appointment end plus the service buffer (cleanup time): the
    therapist and the room are both taken until then. Immutable; a tuple underneath so a
    window of thousands can be built from trusted rows with one C call each
    (:func:`trusted_busy_booking`), while direct construction validates every value.
    """

    __slots__ = ()

    def __new__(
        cls,
        therapist_id: int,
        room_id: int,
        start: datetime,
        busy_until: datetime,
        status: str,
        hold_expires_at: datetime | None = None,
    ) -> BusyBooking:
        require_aware(start, "start")
        require_aware(busy_until, "busy_until")
        if busy_until <= start:
            raise ValueError("busy_until must be after start")
        if status not in STATUSES:
            raise ValueError(f"unknown booking status {status!r}")
        if hold_expires_at is not None:
            require_aware(hold_expires_at, "hold_expires_at")
            hold_expires_at = hold_expires_at.astimezone(UTC)
        elif status in EXPIRING:
            raise ValueError("a held or offered booking needs hold_expires_at")
        return _new_tuple(
            cls,
            (
                therapist_id,
                room_id,
                start.astimezone(UTC),
                busy_until.astimezone(UTC),
                status,
                hold_expires_at,
            ),
        )


_new_tuple = tuple.__new__


def trusted_busy_booking(
    therapist_id: int,
    room_id: int,
    start: datetime,
    busy_until: datetime,
    status: str,
    hold_expires_at: datetime | None,
) -> BusyBooking:
    """Build a ``BusyBooking`` from values already known to be valid, without re-checking.

    For loaders whose source guarantees the invariants the constructor checks (aware UTC
    instants, ``busy_until > start``, a known status, an expiry on every hold), such as
    columns whose types and constraints enforce them. A window holds thousands of bookings;
    validating each again costs more than reading it.
    """
    return _new_tuple(
        BusyBooking, (therapist_id, room_id, start, busy_until, status, hold_expires_at)
    )


def is_blocking(booking: BusyBooking, now: datetime) -> bool:
    """Say whether ``booking`` takes its therapist and room at ``now``.

    Confirmed and arrived bookings always block. A hold blocks only while
    ``hold_expires_at`` is strictly after ``now``: an expired hold frees its slot even before
    a sweeper has flipped its status to "expired". Everything else never blocks.
    """
    if booking.status in ALWAYS_BLOCKING:
        return True
    if booking.status in EXPIRING:
        return booking.hold_expires_at is not None and booking.hold_expires_at > now
    return False


def free_rooms(
    room_ids: Sequence[int],
    bookings: Iterable[BusyBooking],
    start: datetime,
    busy_until: datetime,
    now: datetime,
) -> list[int]:
    """Return the rooms of ``room_ids`` that no blocking booking holds in ``[start, busy_until)``.

    Keeps the order of ``room_ids``. One linear pass over ``bookings``: meant for a single
    check when booking, not for searching many slots (``find_slots`` indexes instead).
    """
    require_aware(start, "start")
    require_aware(busy_until, "busy_until")
    require_aware(now, "now")
    wanted = set(room_ids)
    taken = {
        b.room_id
        for b in bookings
        if b.room_id in wanted
        and b.start < busy_until
        and start < b.busy_until
        and is_blocking(b, now)
    }
    return [r for r in room_ids if r not in taken]


def choose_room(
    room_ids: Sequence[int],
    bookings: Iterable[BusyBooking],
    start: datetime,
    busy_until: datetime,
    now: datetime,
) -> int | None:
    """Return the first room of ``room_ids`` free for ``[start, busy_until)``, or None.

    Pass ``room_ids`` in the clinic's preference order (position, then id): the choice is
    deterministic so two identical requests always pick the same room.
    """
    free = free_rooms(room_ids, bookings, start, busy_until, now)
    return free[0] if free else None
