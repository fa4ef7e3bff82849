"""``/manage/<token>/course/...``: acting on a whole course from any session's manage link.

The session pages themselves are ``booking.web.manage`` (a session's siblings open as
``<token>~<n>``); this blueprint adds what only a course has: cancelling the rest.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from booking import clock
from booking.models import Booking
from booking.services import courses, manage_links
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.web import limits
from booking.web.forms import CancelForm

bp = Blueprint("manage_course", __name__, url_prefix="/manage")
limits.token_lookups(bp)


def _load(token: str) -> Booking:
    booking = manage_links.find_booking(token)
    if booking is None:
        abort(404)
    return booking


def _not_course(token: str):
    return render_template("manage/not_course.html", token=token), 409


@bp.get("/<token>/course/cancel")
def cancel_rest_form(token: str):
    booking = _load(token)
    if booking.course_id is None:
        return _not_course(token)
    course = courses.view(booking, now=clock.now())
    if not course.cancellable:
        return redirect(url_for("manage.view", token=token))
    return render_template(
        "manage/cancel_course.html", booking=booking, token=token, course=course, form=CancelForm()
    )


@bp.post("/<token>/course/cancel")
def cancel_rest(token: str):
    booking = _load(token)
    if not CancelForm().validate_on_submit():
        abort(400)
    if booking.course_id is None:
        return _not_course(token)
    try:
        result = courses.cancel_rest(booking.id, actor=Actor.patient(), now=clock.now())
    except BookingError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("manage.view", token=token), 303)
    count = len(result.cancelled)
    message = f"{count} session{'s' if count != 1 else ''} cancelled. We've emailed you for each."
    if result.kept:
        message += " Please call us about the ones too close to cancel online."
    flash(message, "success")
    return redirect(url_for("manage.view", token=token), 303)
