"""Booking a caller's course at the desk: the weekly plan with alternatives, then every session.

Reception picks the treatment, the first time and the cadence on the caller page; the page
then shows each week's time (free, or the nearest alternatives as choices) and books them
all at once with ``courses.book_course``. A time taken meanwhile books nothing and shows
the plan afresh, with what was taken marked.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, request

from booking.models import BookingSource, BookingStatus, Service
from booking.scheduling.courses import CoursePlan
from booking.services import courses
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web import picker
from booking.web.reception.actions import current_time, staff_actor, to_booking_page


def cadence() -> int:
    """The cadence asked for (weeks between sessions), 0 for a single booking."""
    value = request.values.get("course_every", "")
    return int(value) if value in ("1", "2", "3", "4") else 0


def plan_for(service: Service, minutes: int, start: datetime | None, therapist_id: int | None):
    """The course's weekly plan for the page, or None (no course asked, none offered)."""
    every = cadence()
    if not every or start is None or not service.offers_course:
        return None
    try:
        return courses.plan(
            service,
            minutes,
            start,
            every_weeks=every,
            now=current_time(),
            therapist_id=therapist_id,
        )
    except BookingError:
        return None


def chosen(plan: CoursePlan) -> tuple[tuple[datetime, ...], tuple[int | None, ...]]:
    """Each session's time and therapist as ticked on the form, else the plan's own."""
    starts, therapists = [], []
    for session in plan.sessions:
        value = request.form.get(f"session_{session.number}", "")
        at, _, who = value.partition("@")
        start = picker.parse_start(at)
        if start is None and session.slot is not None:
            start, who = session.slot.start, str(session.therapist_id)
        starts.append(start)
        therapists.append(int(who) if who.isdigit() else None)
    return tuple(starts), tuple(therapists)


def book(form, screen, service: Service, minutes: int, start: datetime, therapist_id):
    """Book the caller's course; a response, or (None, fresh plan) to show the form again."""
    plan = plan_for(service, minutes, start, therapist_id)
    if plan is None:
        form.form_errors.append(f"{service.name} is not offered as a course.")
        return None, None
    starts, therapists = chosen(plan)
    if any(s is None for s in starts):
        missing = ", ".join(str(n) for n, s in enumerate(starts, start=1) if s is None)
        form.form_errors.append(
            f"Nothing is free in the week of session {missing}: choose another first time."
        )
        return None, plan
    from booking.services import bookings

    try:
        result = courses.book_course(
            courses.CourseRequest(
                booking=bookings.BookingRequest(
                    service_id=service.id,
                    minutes=minutes,
                    start=start,
                    therapist_id=therapist_id,
                    name=form.name.data,
                    email=form.email.data,
                    phone=form.phone.data,
                    note=form.note.data or "",
                    form_key=form.form_key.data or None,
                    source=BookingSource.RECEPTION,
                    screen=screen,
                    count_screen=True,
                    restriction_override_reason=form.restriction_override_reason.data or "",
                ),
                every_weeks=cadence(),
                starts=starts,
                therapist_ids=therapists,
            ),
            actor=staff_actor(),
            now=current_time(),
            policy=current_policy(),
        )
    except courses.CourseTaken as taken:
        form.form_errors.append(taken.message)
        return None, taken.plan
    except BookingError as refusal:
        form.form_errors.append(refusal.message)
        return None, plan
    held = sum(1 for b in result.bookings if b.status is BookingStatus.HELD)
    flash(
        f"Course booked: {len(result.bookings)} sessions"
        + (f", {held} held for medical clearance" if held else "")
        + (
            ". The caller will get one email with every session."
            if form.email.data
            else ". Phone-only caller: no emails will be sent; read the times out."
        ),
        "success",
    )
    return to_booking_page(result.bookings[0]), None
