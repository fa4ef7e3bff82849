"""One availability window read from the database as the pure scheduler's values.

One statement whatever the window, the number of therapists or the size of the history. A
window is thousands of rows, so they are read as the driver's plain values and turned into
scheduler values with one conversion per instant and no re-validation: the columns' types
and constraints already guarantee what the scheduler's constructors would check.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    Closure,
    Room,
    Therapist,
    TimeOff,
    WorkingHours,
)
from booking.models.catalog import therapist_services
from booking.scheduling import (
    BusyBooking,
    Interval,
    TherapistAvailability,
    WeeklyRange,
    trusted_busy_booking,
)

# No booking keeps a therapist busy longer than this (longest service plus buffer is far
# less). It bounds the look-back, so finding overlapping bookings is a range scan over the
# window on ix_bookings_start instead of a scan of all history.
MAX_BUSY_SPAN = timedelta(hours=12)

BLOCKING = (
    BookingStatus.CONFIRMED,
    BookingStatus.ARRIVED,
    BookingStatus.HELD,
    BookingStatus.OFFERED,
)


@dataclass(frozen=True)
class ClinicWindow:
    """Everything the scheduler needs for one window, as plain values."""

    therapists: tuple[TherapistAvailability, ...]
    positions: dict[int, int]
    slugs: dict[int, str]
    names: dict[int, str]
    room_ids: tuple[int, ...]
    bookings: tuple[BusyBooking, ...]
    closures: tuple[Interval, ...]


def window_statement(one_therapist: bool, excluding: bool):
    """Return the one statement that reads a window: a UNION ALL of the therapists' weekly
    hours, the active rooms, the blocking bookings, time off and closures, each part a range
    scan on its index.

    Values are named parameters (``_params`` fills them), so the statement's text depends
    only on its shape and is compiled once per shape and database.
    """
    service_id = bindparam("w_service", type_=Integer)
    window_start = bindparam("w_start", type_=DateTime(timezone=True))
    window_end = bindparam("w_end", type_=DateTime(timezone=True))
    lookback = bindparam("w_lookback", type_=DateTime(timezone=True))
    therapist_id = bindparam("w_therapist", type_=Integer) if one_therapist else None
    exclude_booking_id = bindparam("w_exclude", type_=Integer) if excluding else None
    offers = exists().where(
        therapist_services.c.therapist_id == Therapist.id,
        therapist_services.c.service_id == service_id,
    )
    # Typed NULLs: PostgreSQL types a UNION pairwise, and two untyped NULLs make "text".
    no_int = cast(null(), Integer)
    # Plain DateTime rather than UTCDateTime: the first SELECT gives the UNION its column
    # types, and the driver's own values need one conversion (see _to_utc), not the
    # decorator's per value plus the scheduler's own normalising.
    no_time = cast(null(), DateTime(timezone=True))
    return union_all(
        select(
            literal("hours").label("kind"),
            Therapist.id.label("therapist_id"),
            no_int.label("room_id"),
            no_time.label("starts_at"),
            no_time.label("ends_at"),
            Therapist.slug.label("text"),
            no_time.label("hold_expires_at"),
            Therapist.position.label("n1"),
            WorkingHours.weekday.label("n2"),
            WorkingHours.start_minute.label("n3"),
            WorkingHours.end_minute.label("n4"),
            Therapist.name.label("name"),
        )
        .join(WorkingHours, WorkingHours.therapist_id == Therapist.id)
        .where(Therapist.active.is_(True), offers)
        .where(True if therapist_id is None else Therapist.id == therapist_id),
        select(
            literal("room"),
            null(),
            Room.id,
            null(),
            null(),
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
            null(),
        ).where(Room.active.is_(True)),
        select(
            literal("booking"),
            Booking.therapist_id,
            Booking.room_id,
            Booking.starts_at,
            Booking.busy_until,
            Booking.status,
            Booking.hold_expires_at,
            no_int,
            no_int,
            no_int,
            no_int,
            null(),
        ).where(
            Booking.starts_at >= lookback,
            Booking.starts_at < window_end,
            Booking.busy_until > window_start,
            # ``status || ''`` keeps the planner off ix_bookings_status_hold_expiry: without
            # statistics SQLite prefers an equality index to a range, and that index reads
            # every booking ever made with a blocking status (the whole history).
            Booking.status.concat(literal_column("''")).in_([literal(str(s)) for s in BLOCKING]),
            # A booking being moved does not block its own new time.
            True if exclude_booking_id is None else Booking.id != exclude_booking_id,
        ),
        select(
            literal("time_off"),
            TimeOff.therapist_id,
            null(),
            TimeOff.starts_at,
            TimeOff.ends_at,
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
            null(),
        ).where(TimeOff.ends_at > window_start, TimeOff.starts_at < window_end),
        select(
            literal("closure"),
            null(),
            null(),
            Closure.starts_at,
            Closure.ends_at,
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
            null(),
        ).where(and_(Closure.ends_at > window_start, Closure.starts_at < window_end)),
    )


def load_window(
    service_id: int,
    window_start: datetime,
    window_end: datetime,
    therapist_id: int | None,
    exclude_booking_id: int | None = None,
) -> ClinicWindow:
    """Read the therapists offering ``service_id`` and what blocks them in the window.

    One statement (:func:`window_statement`), its rows turned into the scheduler's values.
    """
    sql, params = window_sql(
        db.session.get_bind().dialect,
        service_id,
        window_start,
        window_end,
        therapist_id,
        exclude_booking_id,
    )
    # exec_driver_sql: no compiling per call, no type processing; the rows are the driver's
    # own tuples, fetched from its cursor (wrapping each in a Row would cost more than the
    # conversion), turned into values by _window_from_rows with one call per instant.
    with _collector_paused():
        result = db.session.connection().exec_driver_sql(sql, params)
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
        return _window_from_rows(service_id, rows)


def _window_from_rows(service_id: int, rows) -> ClinicWindow:

    weekly: dict[int, list[WeeklyRange]] = defaultdict(list)
    positions: dict[int, int] = {}
    slugs: dict[int, str] = {}
    names: dict[int, str] = {}
    room_ids: list[int] = []
    bookings: list[BusyBooking] = []
    time_off: dict[int, list[Interval]] = defaultdict(list)
    closures: list[Interval] = []
    sample = next((row[3] for row in rows if row[3] is not None), None)
    utc = _to_utc(sample)
    busy = bookings.append
    for row in rows:
        kind = row[0]
        if kind == "booking":  # by far the most rows: checked first, built cheaply
            # The columns' types and CHECK constraints already guarantee what BusyBooking
            # would validate (aware instants, busy_until after start, a known status, an
            # expiry on every hold), so rows are trusted rather than checked one by one.
            expires = row[6]
            busy(
                trusted_busy_booking(
                    row[1],
                    row[2],
                    utc(row[3]),
                    utc(row[4]),
                    row[5],
                    None if expires is None else utc(expires),
                )
            )
        elif kind == "hours":
            tid = row[1]
            weekly[tid].append(WeeklyRange(row[8], row[9], row[10]))
            positions[tid] = row[7]
            slugs[tid] = row[5]
            names[tid] = row[11]
        elif kind == "room":
            room_ids.append(row[2])
        elif kind == "time_off":
            time_off[row[1]].append(Interval(utc(row[3]), utc(row[4])))
        else:
            closures.append(Interval(utc(row[3]), utc(row[4])))

    therapists = tuple(
        TherapistAvailability(
            therapist_id=tid,
            position=positions[tid],
            service_ids=frozenset({service_id}),
            weekly=tuple(ranges),
            time_off=tuple(time_off.get(tid, ())),
        )
        for tid, ranges in weekly.items()
    )
    return ClinicWindow(
        therapists=therapists,
        positions=positions,
        slugs=slugs,
        names=names,
        room_ids=tuple(sorted(room_ids)),
        bookings=tuple(bookings),
        closures=tuple(closures),
    )


def window_sql(
    dialect,
    service_id: int,
    window_start: datetime,
    window_end: datetime,
    therapist_id: int | None,
    exclude_booking_id: int | None = None,
) -> tuple[str, tuple | dict]:
    """Return the window's statement as the driver's SQL text and parameters.

    Parameters get what the column types would make of them: SQLite stores UTC instants as
    naive text, PostgreSQL takes aware datetimes.
    """
    key = (dialect.name, dialect.driver, therapist_id is not None, exclude_booking_id is not None)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = window_statement(key[2], key[3])
        done = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        # The literals (row kinds, statuses) are parameters too; their values never change.
        compiled = _COMPILED[key] = (str(done), done.positiontup, dict(done.params))
    sql, order, constants = compiled
    sqlite = dialect.name == "sqlite"

    def instant(value: datetime):
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else value

    params = {
        **constants,
        "w_service": service_id,
        "w_start": instant(window_start),
        "w_end": instant(window_end),
        "w_lookback": instant(window_start - MAX_BUSY_SPAN),
        "w_therapist": therapist_id,
        "w_exclude": exclude_booking_id,
    }
    if order is not None:
        return sql, tuple(params[name] for name in order)
    return sql, params


_COMPILED: dict[tuple[str, str, bool, bool], tuple[str, list[str] | None, dict]] = {}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a window's rows become values.

    Tens of thousands of new tuples in one burst set off full collections, each a pass over
    every object in the process: at ten times the clinic that was half the cost of a call.
    Nothing built here forms a cycle, so reference counting frees it all anyway. Only the
    caller that paused the collector resumes it, so concurrent threads never leave it off.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})


def _to_utc(sample: datetime | str | None) -> Callable[[datetime], datetime]:
    """Return the one conversion that makes the driver's instants aware UTC datetimes.

    Chosen once per statement from its first value, since a driver returns every instant of
    a result the same way: SQLite gives the naive UTC text it stores, psycopg gives aware
    values in the session's zone, which is UTC on most servers.
    """
    if isinstance(sample, str):
        return _parse_utc
    zone = None if sample is None else sample.tzinfo
    if zone is UTC:
        return _same
    # C-level partials, not Python functions: this runs for every instant of the window.
    if zone is None or getattr(zone, "key", None) in _UTC_NAMES:
        return partial(datetime.replace, tzinfo=UTC)
    return partial(datetime.astimezone, tz=UTC)


def _same(value: datetime) -> datetime:
    return value


def _parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
