"""Small builders shared by the scheduling tests (import with ``from .builders import``)."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.scheduling import (
    BusyBooking,
    Interval,
    Policy,
    Slot,
    SlotQuery,
    TherapistAvailability,
    WeeklyRange,
    find_slots,
)

H = 60  # minutes per hour, for readable WeeklyRange literals


def therapist(
    tid: int = 1,
    *,
    position: int = 0,
    ranges: Iterable[tuple[int, int, int]] = ((0, 9 * H, 17 * H),),
    services: Iterable[int] = (1,),
    time_off: Iterable[Interval] = (),
) -> TherapistAvailability:
    return TherapistAvailability(
        therapist_id=tid,
        position=position,
        service_ids=frozenset(services),
        weekly=tuple(WeeklyRange(*r) for r in ranges),
        time_off=tuple(time_off),
    )


def query(first: date, last: date | None = None, **kw) -> SlotQuery:
    kw.setdefault("service_id", 1)
    kw.setdefault("duration_minutes", 60)
    kw.setdefault("buffer_minutes", 0)
    return SlotQuery(first_day=first, last_day=last or first, **kw)


def booking(
    tid: int,
    room: int,
    start: datetime,
    minutes: int,
    status: str = "confirmed",
    hold: datetime | None = None,
) -> BusyBooking:
    return BusyBooking(tid, room, start, start + timedelta(minutes=minutes), status, hold)


def search(
    q: SlotQuery,
    *,
    now: datetime,
    tz: ZoneInfo,
    therapists: Iterable[TherapistAvailability] = (),
    rooms: Iterable[int] = (1,),
    bookings: Iterable[BusyBooking] = (),
    closures: Iterable[Interval] = (),
    policy: Policy | None = None,
) -> list[Slot]:
    return find_slots(
        q,
        tz=tz,
        therapists=list(therapists) or [therapist()],
        room_ids=list(rooms),
        bookings=list(bookings),
        closures=list(closures),
        now=now,
        policy=policy,
    )


def local_times(slots: Iterable[Slot], tz: ZoneInfo) -> list[str]:
    """Local 'YYYY-MM-DD HH:MM' of each slot start."""
    return [s.start.astimezone(tz).strftime("%Y-%m-%d %H:%M") for s in slots]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
