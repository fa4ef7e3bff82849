"""``/manage/<token>``: the patient's own booking, reached from the emailed link.

A GET never changes anything (mail scanners fetch links). Unknown tokens get the same
404 as any other miss. A finished booking (cancelled, expired, past) still shows, but
its actions answer 409.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from booking import clock
from booking.models import Booking
from booking.services import availability, bookings, manage_links
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.web import picker
from booking.web.forms import CancelForm, TimeForm

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.after_request
def _private(response):
    # The token is a password in the URL: never send it on as a referrer, never cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


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
        bookings.reschedule(booking.id, start, actor=Actor.patient(), now=clock.now())
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
        bookings.cancel(booking.id, actor=Actor.patient(), now=clock.now())
    except BookingError as refusal:
        if refusal.reason == "cutoff":
            return render_template(
                "manage/call_us.html", booking=booking, token=token, action="cancel"
            ), 409
        return _finished(booking, token)
    flash("Your booking is cancelled. We've emailed you to confirm.", "success")
    return redirect(url_for("manage.view", token=token))
