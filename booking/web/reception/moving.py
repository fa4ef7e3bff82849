"""Reception moves a booking to another time (or therapist), and prints its confirmation.

The move is one service verb (``bookings.reschedule``) with the signed-in staff member as
the actor; reception may override the cut-off, and with a reason, a clash. A refusal is
shown on the form, next to the field it names.
"""

from __future__ import annotations

from flask import flash, render_template, request

from booking.models import BookingStatus
from booking.services import availability, bookings, catalog
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web import picker
from booking.web.reception import bp, free_times
from booking.web.reception.actions import (
    current_time,
    int_or_none,
    load_booking,
    show_refusal,
    staff_actor,
    to_booking_page,
)
from booking.web.reception.forms import (
    MoveForm,
    choices,
)


def _therapist_choices(service) -> list[tuple[str, str]]:
    offering = [t for t in catalog.active_therapists() if service in t.services]
    return choices(("", "Any therapist"), *[(str(t.id), t.name) for t in offering])


@bp.route("/bookings/<ref>/move", methods=["GET", "POST"])
def move(ref: str):
    booking = load_booking(ref)
    form = MoveForm()
    form.therapist.choices = _therapist_choices(booking.service)
    if request.method == "GET":
        # The booking's own therapist unless reception chose otherwise ("Any therapist"
        # is an explicit choice, sent as an empty value): a move never changes the
        # patient's therapist by default.
        form.therapist.data = request.args.get("therapist", str(booking.therapist_id))
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit() and (start := form.wanted_start()) is not None:
            override = bool(form.override.data)
            try:
                bookings.reschedule(
                    booking.id,
                    start,
                    actor=staff_actor(),
                    now=current_time(),
                    enforce_cutoff=False,
                    therapist_id=int_or_none(form.therapist.data),
                    override_reason=form.override_reason.data if override else "",
                    notify=bool(form.notify.data),
                    policy=current_policy(),
                )
            except BookingError as refusal:
                show_refusal(form, refusal, override=override)
                status = 409
            else:
                flash(
                    "Booking moved."
                    + (" The patient will get an email." if form.notify.data else ""),
                    "success",
                )
                return to_booking_page(booking)
    now = current_time()
    held = booking.status is BookingStatus.HELD
    week = None
    if booking.status in bookings.ACTIVE:
        week = free_times.build(
            booking.service,
            booking.duration_minutes,
            now=now,
            first_day=picker.requested_from(),
            therapist_id=int_or_none(form.therapist.data),
            earliest_start=availability.hold_start_bound(now) if held else None,
            exclude_booking_id=booking.id,
        )
    return render_template("reception/move.html", booking=booking, form=form, picker=week), status


@bp.get("/bookings/<ref>/confirmation")
def confirmation(ref: str):
    """A printable confirmation: what a phone-only patient gets instead of an email."""
    return render_template("reception/confirmation.html", booking=load_booking(ref))
