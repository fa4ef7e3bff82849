"""The day view and the week view: bookings on the slot grid in the clinic's wall-clock time.

Rows are local wall times (``BOOKING_SLOT_MINUTES`` apart) across the union of the day's
working hours, so a DST day shows the times a person expects: the hour that does not exist
on a spring-forward day has no row, the repeated hour of a fall-back day appears once. Each
column (a therapist, a room, or a day of one therapist's week) turns a row into instants with
its own local day, which is what makes a week that crosses a clock change come out right.

A therapist signed in sees only their own column and their own week (DOMAIN.md section 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import render_template, request
from flask_login import current_user

from booking import clock
from booking.models import Booking, BookingStatus, StaffRole, Therapist
from booking.scheduling.localtime import boundary_to_utc, local_midnight, wall_to_utc
from booking.services import reception_queries as queries
from booking.services.availability import clinic_zone
from booking.services.clinic_settings import current_policy
from booking.web.reception import bp

DAY_MINUTES = 24 * 60
# Free cells that link to "Book a caller" start on these minutes past the hour.
FREE_CELL_MINUTES = 30
# The grid shown when nobody works that day and nothing is booked.
DEFAULT_HOURS = (8 * 60, 18 * 60)

STATUS_LABELS = {
    BookingStatus.CONFIRMED: "Confirmed",
    BookingStatus.HELD: "Held",
    BookingStatus.ARRIVED: "Arrived",
    BookingStatus.COMPLETED: "Completed",
    BookingStatus.NO_SHOW: "No-show",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.EXPIRED: "Hold expired",
    BookingStatus.RELEASED: "Hold released",
}


def time_left(until: datetime | None, now: datetime) -> str:
    """Say how long is left until ``until`` in words reception reads at a glance."""
    if until is None:
        return ""
    minutes = int((until - now).total_seconds() // 60)
    if minutes <= 0:
        return "expired"
    days, rest = divmod(minutes, DAY_MINUTES)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@bp.context_processor
def _calendar_helpers() -> dict:
    return {
        "status_label": STATUS_LABELS.get,
        "time_left": time_left,
    }


# ---- the grid -------------------------------------------------------------------------------


@dataclass
class Column:
    """One column of the grid: whose (or which room's) day, and what to show in it."""

    key: str
    label: str
    day: date
    ranges: list[tuple[int, int]]  # working wall minutes from the day's local midnight
    bookings: list[Booking]
    time_off: list[queries.Span] = field(default_factory=list)
    closures: list[queries.Span] = field(default_factory=list)
    # Set on a therapist's column: its free future cells offer "book a caller here".
    therapist_id: int | None = None
    therapist_name: str = ""


@dataclass
class Cell:
    kind: str  # "slot", "booking" or "gap" (a wall time the clock skips that day)
    classes: list[str] = field(default_factory=list)
    rowspan: int = 1
    bookings: list[Booking] = field(default_factory=list)
    note: str = ""
    show_note: bool = False  # the first row of a run of the same note shows it
    # A free working cell of a therapist, still to come: reception may book a caller here.
    free_start: datetime | None = None
    therapist_id: int | None = None


@dataclass
class Row:
    minute: int
    label: str
    is_now: bool = False
    starts_at: datetime | None = None  # in the first column's day (the day view's only day)
    ends_at: datetime | None = None
    cells: list[Cell | None] = field(default_factory=list)  # None: covered by a rowspan


@dataclass
class Grid:
    columns: list[Column]
    rows: list[Row]


def _wall_minute(instant: datetime, day: date) -> int:
    local = instant.astimezone(clinic_zone())
    return (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute


def _clock(minute: int) -> str:
    minute %= DAY_MINUTES
    return f"{minute // 60:02d}:{minute % 60:02d}"


def working_ranges(therapist: Therapist, day: date) -> list[tuple[int, int]]:
    """Return the therapist's working wall minutes on ``day`` (ranges past midnight too)."""
    weekday = day.weekday()
    ranges = [
        (h.start_minute, h.end_minute) for h in therapist.working_hours if h.weekday == weekday
    ]
    # A range that started the evening before and runs past midnight into this day.
    ranges += [
        (0, h.end_minute - DAY_MINUTES)
        for h in therapist.working_hours
        if h.weekday == (weekday - 1) % 7 and h.end_minute > DAY_MINUTES
    ]
    return sorted(ranges)


def build_grid(columns: list[Column], *, step: int, now: datetime) -> Grid:
    """Lay the columns' bookings and blocked times out on rows ``step`` minutes apart."""
    zone = clinic_zone()
    starts, ends = [], []
    for column in columns:
        starts += [s for s, _ in column.ranges]
        ends += [e for _, e in column.ranges]
        for b in column.bookings:
            starts.append(max(0, _wall_minute(b.starts_at, column.day)))
            ends.append(min(DAY_MINUTES, _wall_minute(b.ends_at, column.day)))
    low, high = (min(starts), max(ends)) if starts else DEFAULT_HOURS
    low -= low % step
    minutes = list(range(low, high, step))

    now_local = now.astimezone(zone)
    now_minute = now_local.hour * 60 + now_local.minute

    rows = [Row(minute=m, label=_clock(m)) for m in minutes]
    for ci, column in enumerate(columns):
        midnight = local_midnight(column.day)
        covered: dict[int, Cell | None] = {}
        last_note = ""
        for ri, cell in _booking_cells(column, minutes, step):
            covered[ri] = cell
            for below in range(ri + 1, ri + cell.rowspan):
                covered[below] = None
        for ri, m in enumerate(minutes):
            is_now = column.day == now_local.date() and m <= now_minute < m + step
            if ri in covered:
                cell = covered[ri]
            else:
                wall = midnight + timedelta(minutes=m)
                start = wall_to_utc(wall, zone)
                if start is None:
                    cell = Cell("gap", ["gap"], note="Clocks go forward")
                else:
                    end = boundary_to_utc(wall + timedelta(minutes=step), zone)
                    cell = _slot_cell(column, m, step, start, end)
                    # Every other 12-px row: a click target needs 24 px to itself (WCAG
                    # 2.5.8); a quarter-past start is one tick away on the booking form.
                    bookable = m % FREE_CELL_MINUTES == 0 and start >= now
                    if cell.classes == ["work"] and column.therapist_id and bookable:
                        cell.free_start, cell.therapist_id = start, column.therapist_id
                    if ci == 0:
                        rows[ri].starts_at, rows[ri].ends_at = start, end
            if cell is not None:
                if cell.note and cell.note != last_note:
                    cell.show_note = True
                last_note = cell.note
            if cell is not None and is_now:
                cell.classes.append("is-now")
            if is_now:
                rows[ri].is_now = True
            rows[ri].cells.append(cell)
    _space_free_cells(rows, len(columns))
    # A wall time no column has (the skipped hour on a spring-forward day) is no row at all.
    rows = [r for r in rows if not all(c is not None and c.kind == "gap" for c in r.cells)]
    return Grid(columns=columns, rows=rows)


def _space_free_cells(rows: list[Row], width: int) -> None:
    """Keep a free cell's link only with no booking right above or below it.

    Rows are 12 px: a link beside a booking's link would be too close to tap or click
    reliably (WCAG 2.5.8 wants 24 px to itself). Such a time is one tick away on the form.
    """
    for ci in range(width):
        for ri, row in enumerate(rows):
            cell = row.cells[ci]
            if cell is None or cell.free_start is None:
                continue
            near = [rows[i].cells[ci] for i in (ri - 1, ri + 1) if 0 <= i < len(rows)]
            if any(n is None or n.kind == "booking" for n in near):
                cell.free_start = cell.therapist_id = None


def _slot_cell(column: Column, m: int, step: int, start: datetime, end: datetime) -> Cell:
    classes = []
    note = ""
    working = any(s < m + step and m < e for s, e in column.ranges)
    classes.append("work" if working else "off")
    for span in column.closures:
        if span.starts_at < end and span.ends_at > start:
            classes.append("closed")
            note = f"Clinic closed: {span.reason}" if span.reason else "Clinic closed"
            break
    else:
        for span in column.time_off:
            if span.starts_at < end and span.ends_at > start:
                classes.append("time-off")
                note = f"Time off: {span.reason}" if span.reason else "Time off"
                break
    return Cell("slot", classes, note=note)


def _booking_cells(column: Column, minutes: list[int], step: int):
    """Yield (row index, cell) for each group of overlapping bookings in the column."""
    if not minutes:
        return
    first, last = minutes[0], minutes[-1] + step
    spans = []
    for b in column.bookings:
        start = max(first, _wall_minute(b.starts_at, column.day))
        end = min(last, _wall_minute(b.ends_at, column.day))
        if end <= start:
            continue
        top = (start - first) // step
        bottom = -(-(end - first) // step)  # ceiling: a partial row is still taken
        spans.append((top, bottom, b))
    spans.sort(key=lambda s: (s[0], s[1], s[2].id))
    group: list = []
    top = bottom = 0
    for s_top, s_bottom, b in spans:
        if group and s_top < bottom:
            group.append(b)
            bottom = max(bottom, s_bottom)
            continue
        if group:
            yield top, _group_cell(group, bottom - top)
        group, top, bottom = [b], s_top, s_bottom
    if group:
        yield top, _group_cell(group, bottom - top)


def _group_cell(bookings: list[Booking], rowspan: int) -> Cell:
    classes = ["booking"] + [f"status-{b.status.value}" for b in bookings[:1]]
    return Cell("booking", classes, rowspan=rowspan, bookings=bookings)


# ---- request parsing ------------------------------------------------------------------------


def _today() -> date:
    return clock.now().astimezone(clinic_zone()).date()


def _requested_day() -> tuple[date, str]:
    """Return the day asked for (today when none) and a notice if the input was not usable."""
    raw = request.args.get("date", "").strip()
    if not raw:
        return _today(), ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return _today(), "That date was not understood, so today is shown."
    if not 2000 <= day.year <= 2100:
        return _today(), "That date is out of range, so today is shown."
    return day, ""


def _own_therapist_only() -> bool:
    return current_user.role is StaffRole.THERAPIST


def _scope() -> list[int] | None:
    """Return the therapist ids the signed-in user may see, or None for everyone."""
    if _own_therapist_only():
        return [current_user.therapist_id] if current_user.therapist_id else []
    return None


def _step() -> int:
    return current_policy().slot_minutes


# ---- pages ----------------------------------------------------------------------------------


def day_page():
    """Render one local day: a column per therapist (or per room with ``by=room``)."""
    day, notice = _requested_day()
    by = "room" if request.args.get("by") == "room" and not _own_therapist_only() else "therapist"
    show_all = request.args.get("show") == "all"
    now = clock.now()
    data = queries.calendar_data(day, day, therapist_ids=_scope(), include_inactive=show_all)

    if by == "room":
        open_ranges = sorted({r for t in data.therapists for r in working_ranges(t, day)})
        columns = [
            Column(
                key=room.slug,
                label=room.name,
                day=day,
                ranges=open_ranges,
                bookings=[b for b in data.bookings if b.room_id == room.id],
                closures=data.closures,
            )
            for room in data.rooms
        ]
    else:
        columns = [
            Column(
                key=t.slug,
                label=t.name,
                day=day,
                ranges=working_ranges(t, day),
                bookings=[b for b in data.bookings if b.therapist_id == t.id],
                time_off=[s for s in data.time_off if s.therapist_id == t.id],
                closures=data.closures,
                therapist_id=None if _own_therapist_only() else t.id,
                therapist_name=t.name,
            )
            for t in data.therapists
        ]
    grid = build_grid(columns, step=_step(), now=now)
    return render_template(
        "reception/day.html",
        grid=grid,
        day=day,
        today=_today(),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        by=by,
        show_all=show_all,
        now=now,
        notice=notice,
        closures=data.closures,
        own_only=_own_therapist_only(),
    )


@bp.get("/day")
def day():
    return day_page()
