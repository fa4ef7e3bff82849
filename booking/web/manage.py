"""``/manage/<token>``: the patient's own booking, reached from the emailed link.

A GET never changes anything (mail scanners fetch links). Unknown tokens get the same
404 as any other miss. A finished booking (cancelled, expired, past) still shows, but
its actions answer 409.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from booking import clock
from booking.models import Booking, ClearanceOutcome, ClinicianKind
from booking.services import (
    availability,
    bookings,
    clearance,
    clinician_links,
    courses,
    manage_links,
)
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web import limits, picker
from booking.web.calendar_links import FINISHED, calendar_links
from booking.web.clinician_forms import ClinicianRequestForm
from booking.web.forms import CancelForm, ClearanceForm, TimeForm

bp = Blueprint("manage", __name__, url_prefix="/manage")
limits.token_lookups(bp)


def _load(token: str) -> Booking:
    booking = manage_links.find_booking(token)
    if booking is None:
        abort(404)
    return booking


def _finished(booking: Booking, token: str):
    return render_template("manage/finished.html", booking=booking, token=token), 409


@bp.get("/<token>")
def view(token: str):
    booking = _load(token)
    now = clock.now()
    return render_template(
        "manage/view.html",
        booking=booking,
        token=token,
        rules=bookings.change_rules(booking, now),
        now=now,
        can_attest=clearance.can_attest(booking, now),
        awaiting_approval=clearance.pending_clearance(booking.id) is not None,
        can_ask_clinician=clinician_links.can_send(booking, now),
        clinician_requests=clinician_links.links_for(booking.id),
        calendar=None if booking.status in FINISHED else calendar_links(booking, token, now=now),
        course=courses.view(booking, now=now),
        clearance_runs_out=courses.clearance_runs_out(booking, now=now),
        session_token=manage_links.session_token,
    )


def _render_reschedule(
    booking: Booking, token: str, form: TimeForm, *, status=200, alternatives=(), message=None
):
    now = clock.now()
    held = booking.status.value == "held"
    week = picker.build(
        booking.service,
        booking.duration_minutes,
        now=now,
        first_day=picker.requested_from(),
        earliest_start=availability.hold_start_bound(now) if held else None,
        exclude_booking_id=booking.id,
        day=picker.requested_day(),
    )
    return render_template(
        "manage/reschedule.html",
        booking=booking,
        token=token,
        form=form,
        picker=week,
        alternatives=alternatives,
        taken_message=message,
    ), status


@bp.get("/<token>/reschedule")
def reschedule_form(token: str):
    booking = _load(token)
    rules = bookings.change_rules(booking, clock.now())
    if rules.reason == "finished":
        return _finished(booking, token)
    if not rules.can_reschedule:
        return render_template(
            "manage/call_us.html", booking=booking, token=token, action="reschedule"
        )
    return _render_reschedule(booking, token, TimeForm())


@bp.get("/<token>/reschedule/confirm")
def reschedule_confirm(token: str):
    """Ask before moving: the old time, the new one, with whom, and what changes after.

    A GET that changes nothing; the move is the POST of its form.
    """
    booking = _load(token)
    now = clock.now()
    rules = bookings.change_rules(booking, now)
    if rules.reason == "finished":
        return _finished(booking, token)
    if not rules.can_reschedule:
        return render_template(
            "manage/call_us.html", booking=booking, token=token, action="reschedule"
        )
    if "start" not in request.args:  # nothing chosen yet: the picker
        return _render_reschedule(booking, token, TimeForm())
    start = picker.parse_start(request.args.get("start", ""))
    held = booking.status.value == "held"
    bound = availability.hold_start_bound(now) if held else None
    if start is None or not availability.is_offered(
        booking.service,
        booking.duration_minutes,
        start,
        now=now,
        earliest_start=bound,
        exclude_booking_id=booking.id,
    ):
        form = TimeForm()
        # Errors are a tuple until a form is validated; this one never is (it is a GET).
        form.start.errors = ["Sorry, that time is no longer free. Please choose another."]
        return _render_reschedule(booking, token, form, status=400)
    same_therapist = availability.is_offered(
        booking.service,
        booking.duration_minutes,
        start,
        now=now,
        therapist_id=booking.therapist_id,
        earliest_start=bound,
        exclude_booking_id=booking.id,
    )
    snapshot = booking.policy_snapshot or bookings.policy_snapshot()
    return render_template(
        "manage/reschedule_confirm.html",
        booking=booking,
        token=token,
        form=TimeForm(start=start.isoformat()),
        start=start,
        same_therapist=same_therapist,
        inside_cutoff=start - now < timedelta(hours=snapshot["cancel_cutoff_hours"]),
        cutoff_hours=snapshot["cancel_cutoff_hours"],
    )


@bp.post("/<token>/reschedule")
def reschedule(token: str):
    booking = _load(token)
    rules = bookings.change_rules(booking, clock.now())
    if rules.reason == "finished":
        return _finished(booking, token)
    form = TimeForm()
    if not form.validate_on_submit():
        return _render_reschedule(booking, token, form, status=400)
    start = picker.parse_start(form.start.data)
    if start is None:
        form.start.errors.append("Please choose one of the times shown.")
        return _render_reschedule(booking, token, form, status=400)
    try:
        bookings.reschedule(
            booking.id, start, actor=Actor.patient(), now=clock.now(), policy=current_policy()
        )
    except BookingError as refusal:
        if refusal.reason == "not_active":
            return _finished(booking, token)
        if refusal.reason == "cutoff":
            return render_template(
                "manage/call_us.html", booking=booking, token=token, action="reschedule"
            ), 409
        if refusal.reason == "taken":
            return _render_reschedule(
                booking,
                token,
                TimeForm(),
                status=409,
                alternatives=refusal.alternatives,
                message=refusal.message,
            )
        form.start.errors.append(refusal.message)
        return _render_reschedule(booking, token, form, status=400)
    flash("Your booking has been moved. We've emailed you the new details.", "success")
    return redirect(url_for("manage.view", token=token))


@bp.get("/<token>/cancel")
def cancel_form(token: str):
    booking = _load(token)
    rules = bookings.change_rules(booking, clock.now())
    if rules.reason == "finished":
        return _finished(booking, token)
    if not rules.can_cancel:
        return render_template("manage/call_us.html", booking=booking, token=token, action="cancel")
    return render_template("manage/cancel.html", booking=booking, token=token, form=CancelForm())


@bp.post("/<token>/cancel")
def cancel(token: str):
    booking = _load(token)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        bookings.cancel(booking.id, actor=Actor.patient(), now=clock.now(), policy=current_policy())
    except BookingError as refusal:
        if refusal.reason == "cutoff":
            return render_template(
                "manage/call_us.html", booking=booking, token=token, action="cancel"
            ), 409
        return _finished(booking, token)
    flash("Your booking is cancelled. We've emailed you to confirm.", "success")
    return redirect(url_for("manage.view", token=token))


@bp.route("/<token>/clearance", methods=["GET", "POST"])
def clearance_form(token: str):
    """The patient tells us what their clinician said (DOMAIN.md section 2)."""
    booking = _load(token)
    now = clock.now()
    if not clearance.can_attest(booking, now):
        return _finished(booking, token)
    form = ClearanceForm()
    status = 200
    alternatives = []
    if form.validate_on_submit():
        statement = clearance.ClearanceStatement(
            outcome=ClearanceOutcome(form.outcome.data),
            clinician_name=form.clinician_name.data,
            clinician_kind=ClinicianKind(form.clinician_kind.data),
            consultation_date=form.consultation_date.data,
            restriction_ticks=tuple(form.restriction_ticks.data or ()),
            restrictions=form.restrictions.data or "",
            truthful=bool(form.truthful.data),
        )
        try:
            result = clearance.attest(
                booking.id, statement, actor=Actor.patient(), now=now, policy=current_policy()
            )
        except BookingError as refusal:
            if refusal.field and hasattr(form, refusal.field):
                getattr(form, refusal.field).errors.append(refusal.message)
            else:
                form.form_errors.append(refusal.message)
            alternatives = refusal.alternatives
            status = 409 if refusal.reason in ("taken", "not_held", "not_suitable") else 400
        else:
            flash(CLEARANCE_MESSAGES[result.result], "success")
            return redirect(url_for("manage.view", token=token))
    elif request.method == "POST":
        status = 400
    return render_template(
        "manage/clearance.html",
        booking=booking,
        token=token,
        form=form,
        alternatives=alternatives,
    ), status


@bp.route("/<token>/clinician", methods=["GET", "POST"])
def clinician_request(token: str):
    """The patient asks their GP or physio to give the clearance themselves, by a link."""
    booking = _load(token)
    now = clock.now()
    if not clinician_links.can_send(booking, now):
        return _finished(booking, token)
    form = ClinicianRequestForm()
    status = 200
    if form.validate_on_submit():
        try:
            link = clinician_links.send(
                booking.id,
                name=form.name.data or "",
                email=form.email.data or "",
                actor=Actor.patient(),
                now=now,
            )
        except BookingError as refusal:
            if refusal.reason == "not_held":
                return _finished(booking, token)
            target = getattr(form, refusal.field, None) if refusal.field else None
            if target is not None:
                target.errors.append(refusal.message)
            else:
                form.form_errors.append(refusal.message)
            status = 409 if refusal.reason == "too_many" else 400
        else:
            flash(
                f"We've emailed {link.clinician_name} a link to tell us directly. We'll email "
                "you as soon as they answer.",
                "success",
            )
            return redirect(url_for("manage.view", token=token))
    elif request.method == "POST":
        status = 400
    return render_template(
        "manage/clinician.html",
        booking=booking,
        token=token,
        form=form,
        clinician_requests=clinician_links.links_for(booking.id),
    ), status


CLEARANCE_MESSAGES = {
    "confirmed": "Thank you. Your booking is now confirmed; we've emailed you the details.",
    "awaiting_approval": "Thank you. Your therapist will check the restrictions and we'll "
    "confirm your booking, usually within a working day.",
    "released": "Thank you for letting us know. We've released the time at no charge. "
    "You're welcome to book again once your clinician says massage is fine.",
}
