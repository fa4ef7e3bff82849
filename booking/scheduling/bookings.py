"""Existing bookings as plain values, which of them block, and which rooms are free."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from booking.scheduling.intervals import require_aware

HELD = "held"
CONFIRMED = "confirmed"
ARRIVED = "arrived"
COMPLETED = "completed"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
EXPIRED = "expired"
RELEASED = "released"

STATUSES = frozenset({HELD, CONFIRMED, ARRIVED, COMPLETED, NO_SHOW, CANCELLED, EXPIRED, RELEASED})
# Statuses that hold the therapist and room regardless of time. HELD blocks only while live.
ALWAYS_BLOCKING = frozenset({CONFIRMED, ARRIVED})


@dataclass(frozen=True, slots=True)
class BusyBooking:
    """One booking as the scheduler sees it: who, where, and ``[start, busy_until)``.

    ``busy_until`` is the appointment end plus the service buffer (cleanup time): the
    therapist and the room are both taken until then.
    """

    therapist_id: int
    room_id: int
    start: datetime
    busy_until: datetime
    status: str
    hold_expires_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.busy_until, "busy_until")
        if self.busy_until <= self.start:
            raise ValueError("busy_until must be after start")
        if self.status not in STATUSES:
            raise ValueError(f"unknown booking status {self.status!r}")
        if self.hold_expires_at is not None:
            require_aware(self.hold_expires_at, "hold_expires_at")
            object.__setattr__(self, "hold_expires_at", self.hold_expires_at.astimezone(UTC))
        elif self.status == HELD:
            raise ValueError("a held booking needs hold_expires_at")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "busy_until", self.busy_until.astimezone(UTC))


_new_busy = object.__new__
_set_therapist = BusyBooking.therapist_id.__set__  # type: ignore[attr-defined]
_set_room = BusyBooking.room_id.__set__  # type: ignore[attr-defined]
_set_start = BusyBooking.start.__set__  # type: ignore[attr-defined]
_set_busy_until = BusyBooking.busy_until.__set__  # type: ignore[attr-defined]
_set_status = BusyBooking.status.__set__  # type: ignore[attr-defined]
_set_hold = BusyBooking.hold_expires_at.__set__  # type: ignore[attr-defined]


def trusted_busy_booking(
    therapist_id: int,
    room_id: int,
    start: datetime,
    busy_until: datetime,
    status: str,
    hold_expires_at: datetime | None,
) -> BusyBooking:
    """Build a ``BusyBooking`` from values already known to be valid, without re-checking.

    For loaders whose source guarantees the invariants ``__post_init__`` checks (aware UTC
    instants, ``busy_until > start``, a known status, an expiry on every hold), such as
    columns whose types and constraints enforce them. A window holds thousands of bookings;
    validating each again costs more than reading it.
    """
    booking = _new_busy(BusyBooking)
    _set_therapist(booking, therapist_id)
    _set_room(booking, room_id)
    _set_start(booking, start)
    _set_busy_until(booking, busy_until)
    _set_status(booking, status)
    _set_hold(booking, hold_expires_at)
    return booking


def is_blocking(booking: BusyBooking, now: datetime) -> bool:
    """Say whether ``booking`` takes its therapist and room at ``now``.

    Confirmed and arrived bookings always block. A hold blocks only while
    ``hold_expires_at`` is strictly after ``now``: an expired hold frees its slot even before
    a sweeper has flipped its status to "expired". Everything else never blocks.
    """
    if booking.status in ALWAYS_BLOCKING:
        return True
    if booking.status == HELD:
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
