"""Step 5, for a course: check and book every session at once; then the course's done page.

The review shows the sessions as the patient accepted them on the plan step. Booking goes
through ``courses.book_course`` with the review's form key, so a resubmit (a double
click, a retry after an unknown outcome) returns the course the first one made. When a
time was taken meanwhile nothing is booked: the plan page comes back, planned afresh, for
the patient to accept and book again.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import abort, flash, redirect, render_template, session, url_for

from booking import clock
from booking.models import Course
from booking.notify import settings
from booking.services import bookings, courses
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.booking_flow.course import plan_for, plan_form, render_plan, therapist_names
from booking.web.forms import ConfirmForm

# Refusals fixed on an earlier step, by the field the verb names.
_STEP_FOR_FIELD = {
    "service": "book.choose",
    "minutes": "book.choose",
    "every_weeks": "book.choose",
    "therapist": "book.choose",
    "starts": "book.course",
    "therapist_ids": "book.course",
    "start": "book.time",
    "email": "book.details",
    "name": "book.details",
    "phone": "book.details",
}


def replayed(form_key: str | None):
    """The done page of the course this form key already booked, if it did."""
    course = courses.find_by_form_key(form_key) if form_key else None
    return None if course is None else show_booked(course, None)


def review(
    form: ConfirmForm,
    data: dict,
    choice: steps.Choice,
    wanted: steps.CourseChoice,
    start: datetime,
    details: dict,
    *,
    stale: bool,
    post: bool,
):
    accepted = steps.accepted_sessions(data, wanted)
    if accepted is None:
        # Planned for another first time or cadence, or the course changed size.
        return redirect(url_for("book.course"))
    if post and not stale:
        request_ = courses.CourseRequest(
            booking=steps.booking_request(data, choice, start, details),
            every_weeks=wanted.every_weeks,
            starts=tuple(when for when, _ in accepted),
            therapist_ids=tuple(therapist for _, therapist in accepted),
        )
        try:
            result = courses.book_course(request_, actor=Actor.patient(), now=clock.now())
        except courses.CourseTaken as taken:
            # Nothing was stored: a new attempt, with a new key, after a new acceptance.
            data = drafts.save(form_key=secrets.token_urlsafe(24), course_plan=None)
            return _taken(choice, wanted, start, data, taken)
        except BookingError as refusal:
            flash(refusal.message, "error")
            return redirect(url_for(_STEP_FOR_FIELD.get(refusal.field or "", "book.health")))
        return show_booked(result.course, result.manage_token)
    price = choice.service.duration(choice.minutes).price_pence
    names = therapist_names()
    return render_template(
        "booking/course_review.html",
        form=form,
        choice=choice,
        course=wanted,
        sessions=[(when, names.get(therapist)) for when, therapist in accepted],
        start=start,
        details=details,
        price=price,
        held=steps.hold_bound(data, clock.now()) is not None,
        policy=bookings.policy_snapshot(),
        step=steps.step_info("book.review"),
        stale=stale,
    ), (400 if stale else 200)


def _taken(choice, wanted, start, data, taken: courses.CourseTaken):
    """The plan page again, planned afresh, saying which sessions were just taken."""
    try:
        plan = plan_for(choice, wanted, start, data)
    except BookingError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("book.choose"))
    names = therapist_names()
    return render_plan(
        choice,
        wanted,
        plan,
        plan_form(plan, names, formdata=False),
        names,
        data,
        status=409,
        taken=tuple(taken.sessions),
        taken_message=taken.message,
    )


def show_booked(course: Course, token: str | None):
    """Send the browser that booked to its course's done page, after the commit.

    A replay gets a fresh manage link of the first session (it opens the whole course).
    """
    first = course.bookings[0]
    if token is None:
        token = bookings.reissue_link(first.id, now=clock.now())
    session["last_booking"] = {"ref": first.public_id, "token": token, "course": course.public_id}
    drafts.discard_quietly()
    return redirect(url_for("book.course_done", ref=course.public_id))


def done(ref: str):
    last = session.get("last_booking") or {}
    if not isinstance(last, dict) or last.get("course") != ref:
        # Only the browser that booked sees the done page; others use the emailed link.
        abort(404)
    first = bookings.find_by_token(last.get("token", ""))
    course = first.course if first is not None else None
    if course is None or course.public_id != ref:
        abort(404)
    sessions = list(course.bookings)
    held = [b for b in sessions if b.status.value == "held"]
    return render_template(
        "booking/course_done.html",
        course=course,
        sessions=sessions,
        held=held,
        total=sum(b.price_pence for b in sessions),
        manage_url=settings.manage_url(last["token"]),
        policy=first.policy_snapshot,
    )
