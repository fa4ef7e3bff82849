"""Follow-ups in reception: the flag on the day view and the patient page, the therapist's
view of the answers and the pain chart, and "seen" for a flagged follow-up.

Every staff role sees that a patient's follow-up needs the therapist, never why; the
answers are shown only to admins and the session's own therapist (``services.followup``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from booking import clock
from booking.models import Booking, Patient, StaffRole
from booking.services import availability
from booking.services.audit import Actor
from booking.services.errors import NotAllowed, Refusal
from booking.services.followup import review
from booking.web.reception import bp, pain_chart


class ReviewedForm(FlaskForm):
    """The CSRF token of "mark as seen"."""


def _awaiting() -> set[int]:
    if "follow_up_awaiting" not in g:
        g.follow_up_awaiting = review.patients_awaiting_review()
    return g.follow_up_awaiting


@bp.app_context_processor
def _follow_up_helpers() -> dict:
    return {"follow_up_flagged": lambda patient_id: patient_id in _awaiting()}


def patient_page_context(patient: Patient, bookings: list[Booking]) -> dict:
    """What the patient page shows of follow-ups to the signed-in staff member."""
    found = review.for_patient(
        patient,
        bookings,
        role=StaffRole(current_user.role),
        therapist_id=current_user.therapist_id,
        actor=Actor.staff(current_user.id),
        now=clock.now(),
    )
    chart = pain_chart.build([(_label(p.booking), p.before, p.after) for p in found.points])
    return {
        "follow_ups": found.lines,
        "pain_points": found.points,
        "pain_chart": chart,
        "follow_up_awaiting": patient.id in _awaiting(),
        "reviewed_form": ReviewedForm(),
    }


def _label(booking: Booking) -> str:
    local = booking.starts_at.astimezone(availability.clinic_zone())
    return f"{local.day} {local:%b}"


@bp.post("/follow-ups/<int:follow_up_id>/seen")
def follow_up_seen(follow_up_id: int):
    form = ReviewedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        follow_up = review.mark_reviewed(
            follow_up_id,
            role=StaffRole(current_user.role),
            therapist_id=current_user.therapist_id,
            actor=Actor.staff(current_user.id),
            now=clock.now(),
        )
    except NotAllowed:
        abort(403)
    except Refusal:
        abort(404)
    flash("Marked as seen.", "info")
    return redirect(url_for("reception.patient", patient_id=follow_up.patient_id))
