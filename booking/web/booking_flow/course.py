"""Step 3, for a course: every session planned from the first time, and the patient's say.

The first time comes from the picker (``times``); this page plans the others at the same
local weekday and time every N weeks (``services.courses.plan``), says which are free,
which were moved to the nearest free time of their week, and which weeks have no time at
all. A moved session is booked only once the patient has ticked that they accept the
changed times (choosing among the week's free times if they like); a week without any
time means no booking, and a different first time or cadence to try. The plan is made
again on every request: what was free when the page was drawn is checked when it is sent.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from wtforms import RadioField
from wtforms.validators import ValidationError

from booking import clock
from booking.scheduling import Slot
from booking.scheduling.courses import CoursePlan, PlannedSession
from booking.services import availability, catalog, courses
from booking.services.errors import BookingError
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.filters import local
from booking.web.forms import CoursePlanForm, choices

ACCEPT_MESSAGE = (
    "Please tick the box to accept the changed times, or choose a different first time."
)


def course_plan():
    """Show the course's sessions; on POST, keep them (with any moved one accepted)."""
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data) or steps.needs_course_fix(data, choice)) is not None:
        return gate
    wanted = steps.course(data, choice)
    start = steps.start(data)
    if wanted is None or start is None:
        return redirect(url_for("book.time"))
    try:
        plan = plan_for(choice, wanted, start, data)
    except BookingError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("book.choose"))
    names = therapist_names()
    form = plan_form(plan, names)
    if request.method == "POST" and plan.bookable and form.validate_on_submit():
        if any(s.moved for s in plan.sessions) and not form.accept.data:
            form.accept.errors.append(ACCEPT_MESSAGE)
        else:
            drafts.save(
                course_plan={
                    "first": data["start"],
                    "every_weeks": wanted.every_weeks,
                    "sessions": [
                        [slot.start.isoformat(), therapist]
                        for slot, therapist in chosen_sessions(plan, form)
                    ],
                }
            )
            return redirect(url_for("book.review" if data.get("details") else "book.details"))
    status = 400 if request.method == "POST" else 200
    return render_plan(choice, wanted, plan, form, names, data, status=status)


def plan_for(choice: steps.Choice, wanted: steps.CourseChoice, start: datetime, data: dict):
    """Plan the course from ``start``; a held course keeps the time to get cleared."""
    now = clock.now()
    return courses.plan(
        choice.service,
        choice.minutes,
        start,
        every_weeks=wanted.every_weeks,
        now=now,
        therapist_id=choice.therapist_id,
        earliest_start=steps.hold_bound(data, now),
        sessions=wanted.sessions,
    )


def therapist_names() -> dict[int, str]:
    return {t.id: t.name for t in catalog.active_therapists()}


def _with(plan: CoursePlan, slot: Slot) -> int:
    """Who a session at ``slot`` is with: the course's therapist when free, else the first."""
    return plan.therapist_id if plan.therapist_id in slot.therapist_ids else slot.therapist_ids[0]


def _label(plan: CoursePlan, slot: Slot, names: dict[int, str]) -> str:
    who = names.get(_with(plan, slot))
    return local(slot.start, "%a %-d %b, %H:%M") + (f", with {who}" if who else "")


def _one_of(session: PlannedSession):
    offered = {slot.start.isoformat() for slot in session.alternatives}

    def check(form, field):
        if field.data not in offered:
            raise ValidationError(
                f"That time for session {session.number} is no longer free: choose one of "
                "the times shown."
            )

    return check


def plan_form(plan: CoursePlan, names: dict[int, str], *, formdata=True) -> CoursePlanForm:
    """The plan's form: a choice of the week's free times for each moved session."""

    class Form(CoursePlanForm):
        pass

    for session in plan.sessions:
        if not session.moved:
            continue
        setattr(
            Form,
            f"session_{session.number}",
            RadioField(
                f"Session {session.number}",
                choices=choices(
                    (slot.start.isoformat(), _label(plan, slot, names))
                    for slot in session.alternatives
                ),
                default=session.slot.start.isoformat(),
                validators=[_one_of(session)],
                validate_choice=False,
            ),
        )
    return Form() if formdata else Form(formdata=None)


def chosen_sessions(plan: CoursePlan, form: CoursePlanForm) -> list[tuple[Slot, int]]:
    """Each session's slot and therapist: the wanted time, or the moved one as chosen."""
    picked = []
    for session in plan.sessions:
        slot = session.slot
        if session.moved:
            value = form[f"session_{session.number}"].data
            slot = next(s for s in session.alternatives if s.start.isoformat() == value)
        picked.append((slot, _with(plan, slot) if session.moved else session.therapist_id))
    return picked


def render_plan(
    choice: steps.Choice,
    wanted: steps.CourseChoice,
    plan: CoursePlan,
    form: CoursePlanForm,
    names: dict[int, str],
    data: dict,
    *,
    status: int = 200,
    taken: tuple[int, ...] = (),
    taken_message: str | None = None,
):
    price = choice.service.duration(choice.minutes).price_pence
    return render_template(
        "booking/course_plan.html",
        form=form,
        choice=choice,
        course=wanted,
        plan=plan,
        names=names,
        fields={s.number: form[f"session_{s.number}"] for s in plan.sessions if s.moved},
        price=price,
        held=steps.hold_bound(data, clock.now()) is not None,
        taken=taken,
        taken_message=taken_message,
        zone_name=availability.clinic_zone().key,
        step=steps.step_info("book.time"),
    ), status
