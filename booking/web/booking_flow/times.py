"""Step 3: the time, from the week picker; offered again after a refusal."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from booking import clock
from booking.services import availability, clearance_window
from booking.web import drafts, picker
from booking.web.booking_flow import steps
from booking.web.forms import TimeForm


def time():
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data) or steps.needs_course_fix(data, choice)) is not None:
        return gate
    return _render_time(choice, data, TimeForm())


def _render_time(choice: steps.Choice, data: dict, form: TimeForm, *, alternatives=(), status=200):
    now = clock.now()
    bound = steps.hold_bound(data, now)
    reopens = None if bound is None else clearance_window.holds_open_from(now)
    # No time can be held just now: the page says when instead of showing a week.
    week = (
        None
        if reopens
        else picker.build(
            choice.service,
            choice.minutes,
            now=now,
            first_day=picker.requested_from(),
            therapist_id=choice.therapist_id,
            earliest_start=bound,
            day=picker.requested_day(),
            clearance_deadline=None
            if bound is None
            else lambda start: clearance_window.deadline_for(now, start),
        )
    )
    return render_template(
        "booking/time.html",
        form=form,
        choice=choice,
        picker=week,
        chosen=data.get("start"),
        alternatives=alternatives,
        held=bound is not None,
        holds_reopen=reopens,
        holds_never=reopens is clearance_window.NEVER,
        course=steps.course(data, choice),
        step=steps.step_info("book.time"),
    ), status


def pick_time():
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data) or steps.needs_course_fix(data, choice)) is not None:
        return gate
    form = TimeForm()
    if form.validate_on_submit():
        start = picker.parse_start(form.start.data)
        now = clock.now()
        if start is None:
            form.start.errors.append("Please choose one of the times shown.")
        elif not availability.is_offered(
            choice.service,
            choice.minutes,
            start,
            now=now,
            therapist_id=choice.therapist_id,
            earliest_start=steps.hold_bound(data, now),
        ):
            form.start.errors.append("Sorry, that time is no longer free. Please choose another.")
        else:
            # A course's sessions are planned (and accepted) again from the new first time.
            drafts.save(start=start.astimezone(now.tzinfo).isoformat(), course_plan=None)
            if data.get("course"):
                return redirect(url_for("book.course"))
            target = "book.review" if data.get("details") else "book.details"
            return redirect(url_for(target))
    return _render_time(choice, data, form, status=400)
