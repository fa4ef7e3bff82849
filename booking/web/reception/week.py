"""The week views: the whole clinic (therapists by days), or one therapist on the slot grid.

The clinic week answers "who is in, how full are they, and where is there room" for seven
days on one screen; a day links to that day's grid, where a free cell books a caller. One
therapist's week (``?therapist=<slug>``, and always for a signed-in therapist) is the
slot grid with a column per day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import render_template, request

from booking import clock
from booking.models import Booking, Therapist
from booking.services import reception_queries as queries
from booking.web.reception import bp
from booking.web.reception.calendar import (
    Column,
    Grid,
    _own_therapist_only,
    _requested_day,
    _scope,
    _step,
    _today,
    _wall_minute,
    build_grid,
    working_ranges,
)


@dataclass
class DaySummary:
    """One therapist's day in the clinic week."""

    day: date
    ranges: list[tuple[int, int]]
    bookings: list[Booking]
    notes: list[str] = field(default_factory=list)  # time off, closures
    free_minutes: int = 0


@dataclass
class TherapistWeek:
    therapist: Therapist
    days: list[DaySummary]


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def hours_label(ranges: list[tuple[int, int]]) -> str:
    """Say the working hours, e.g. ``09:00 to 12:00, 13:00 to 17:00``; empty on a day off."""
    return ", ".join(f"{_clock(s)} to {_clock(e)}" for s, e in ranges)


def free_minutes(ranges: list[tuple[int, int]], bookings: list[Booking], day: date) -> int:
    """Working minutes on ``day`` that no blocking booking (with its buffer) takes."""
    taken = sorted(
        (_wall_minute(b.starts_at, day), _wall_minute(b.busy_until, day)) for b in bookings
    )
    free = 0
    for start, end in ranges:
        cursor = start
        for b_start, b_end in taken:
            if b_end <= cursor or b_start >= end:
                continue
            free += max(0, b_start - cursor)
            cursor = max(cursor, b_end)
        free += max(0, end - cursor)
    return free


def duration_label(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def _clinic_week(monday: date, show_all: bool, now) -> list[TherapistWeek]:
    sunday = monday + timedelta(days=6)
    data = queries.calendar_data(monday, sunday, include_inactive=show_all)
    days = [monday + timedelta(days=i) for i in range(7)]
    weeks = []
    for t in data.therapists:
        summaries = []
        for d in days:
            lo, hi = queries.days_window(d, d)
            on_day = [
                b
                for b in data.bookings
                if b.therapist_id == t.id and b.starts_at < hi and b.ends_at > lo
            ]
            notes = [
                f"Time off{': ' + s.reason if s.reason else ''}"
                for s in data.time_off
                if s.therapist_id == t.id and s.starts_at < hi and s.ends_at > lo
            ] + [
                f"Clinic closed{': ' + s.reason if s.reason else ''}"
                for s in data.closures
                if s.starts_at < hi and s.ends_at > lo
            ]
            ranges = [] if notes and any(n.startswith("Clinic") for n in notes) else None
            ranges = working_ranges(t, d) if ranges is None else ranges
            blocking = [b for b in on_day if b.blocks_at(now)]
            summaries.append(
                DaySummary(
                    day=d,
                    ranges=ranges,
                    bookings=on_day,
                    notes=notes,
                    free_minutes=0 if notes else free_minutes(ranges, blocking, d),
                )
            )
        weeks.append(TherapistWeek(therapist=t, days=summaries))
    return weeks


def _therapist_grid(therapist: Therapist, monday: date, show_all: bool, now):
    sunday = monday + timedelta(days=6)
    data = queries.calendar_data(
        monday, sunday, therapist_ids=[therapist.id], include_inactive=show_all
    )
    person = data.therapists[0] if data.therapists else therapist
    columns = []
    for d in (monday + timedelta(days=i) for i in range(7)):
        lo, hi = queries.days_window(d, d)
        columns.append(
            Column(
                key=d.isoformat(),
                label=d.strftime("%a %-d %b"),
                day=d,
                ranges=working_ranges(person, d),
                bookings=[b for b in data.bookings if b.starts_at < hi and b.ends_at > lo],
                time_off=[s for s in data.time_off if s.ends_at > lo and s.starts_at < hi],
                closures=[s for s in data.closures if s.ends_at > lo and s.starts_at < hi],
                therapist_id=None if _own_therapist_only() else therapist.id,
                therapist_name=therapist.name,
            )
        )
    return build_grid(columns, step=_step(), now=now), data.closures


@bp.get("/week")
def week():
    """Render the clinic's week, or one therapist's with ``?therapist=<slug>``."""
    day, notice = _requested_day()
    monday, sunday = queries.week_of(day)
    now = clock.now()
    show_all = request.args.get("show") == "all"
    scope = _scope()
    choices = [t for t in queries.active_therapists() if scope is None or t.id in scope]
    wanted = request.args.get("therapist", "").strip()
    therapist = next((t for t in choices if t.slug == wanted), None)
    if wanted and therapist is None:
        notice = notice or "That therapist was not found; the whole clinic is shown."
    if _own_therapist_only():
        therapist = choices[0] if choices else None

    grid, closures, clinic = Grid(columns=[], rows=[]), [], []
    if therapist is not None:
        grid, closures = _therapist_grid(therapist, monday, show_all, now)
    elif not _own_therapist_only():
        clinic = _clinic_week(monday, show_all, now)
    return render_template(
        "reception/week.html",
        grid=grid,
        clinic_week=clinic,
        therapist=therapist,
        choices=choices,
        day=day,
        days=[monday + timedelta(days=i) for i in range(7)],
        monday=monday,
        sunday=sunday,
        today=_today(),
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        show_all=show_all,
        now=now,
        notice=notice,
        closures=closures,
        own_only=_own_therapist_only(),
        hours_label=hours_label,
        duration_label=duration_label,
    )
