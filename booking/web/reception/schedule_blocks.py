"""Time off for a therapist and clinic closures: list the upcoming ones, add, remove.

A new block shows the bookings it overlaps; they are not cancelled (reception decides).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from booking.services import blocks, catalog
from booking.services.errors import BookingError
from booking.web.reception import bp
from booking.web.reception.actions import current_time, show_refusal, staff_actor
from booking.web.reception.forms import ClosureForm, DeleteBlockForm, TimeOffForm, choices


def _blocks_page(time_off_form: TimeOffForm, closure_form: ClosureForm, status: int = 200):
    now = current_time()
    time_off = [
        (
            b,
            blocks.overlapping_bookings(
                b.starts_at, b.ends_at, now=now, therapist_id=b.therapist_id
            ),
        )
        for b in blocks.upcoming_time_off(now)
    ]
    closures = [
        (b, blocks.overlapping_bookings(b.starts_at, b.ends_at, now=now))
        for b in blocks.upcoming_closures(now)
    ]
    return render_template(
        "reception/blocks.html",
        time_off=time_off,
        closures=closures,
        time_off_form=time_off_form,
        closure_form=closure_form,
        delete_form=DeleteBlockForm(formdata=None),
    ), status


def _block_forms(formdata_for: str | None):
    therapists = choices(
        ("", "Choose…"), *[(str(t.id), t.name) for t in catalog.active_therapists()]
    )
    time_off_form = TimeOffForm(
        prefix="time_off", **({} if formdata_for == "time_off" else {"formdata": None})
    )
    time_off_form.therapist.choices = therapists
    closure_form = ClosureForm(
        prefix="closure", **({} if formdata_for == "closure" else {"formdata": None})
    )
    return time_off_form, closure_form


@bp.route("/blocks", methods=["GET", "POST"], endpoint="blocks")
def blocks_page():
    kind = request.form.get("kind") if request.method == "POST" else None
    time_off_form, closure_form = _block_forms(kind)
    if request.method == "GET":
        return _blocks_page(time_off_form, closure_form)
    form = {"time_off": time_off_form, "closure": closure_form}.get(kind)
    if form is None or not form.validate_on_submit() or (span := form.span()) is None:
        if form is None:
            time_off_form.form_errors.append("Choose what to add.")
        return _blocks_page(time_off_form, closure_form, 400)
    now = current_time()
    try:
        if kind == "time_off":
            result = blocks.add_time_off(
                int(form.therapist.data), *span, form.reason.data, actor=staff_actor(), now=now
            )
        else:
            result = blocks.add_closure(*span, form.reason.data, actor=staff_actor(), now=now)
    except BookingError as refusal:
        show_refusal(form, refusal)
        return _blocks_page(time_off_form, closure_form, 409)
    flash("Time off added." if kind == "time_off" else "Closure added.", "success")
    if result.overlapping:
        flash(
            f"{len(result.overlapping)} booking(s) overlap it and were NOT cancelled: "
            "open each one below to move or cancel it.",
            "warning",
        )
    return redirect(url_for("reception.blocks"), code=303)


@bp.post("/blocks/<kind>/<int:block_id>/delete")
def delete_block(kind: str, block_id: int):
    remove = {"time_off": blocks.remove_time_off, "closure": blocks.remove_closure}.get(kind)
    if remove is None:
        abort(404)
    if not DeleteBlockForm().validate_on_submit():
        abort(400)
    remove(block_id, actor=staff_actor(), now=current_time())  # gone: a 404 (web.refusals)
    flash("Removed; that time is open again.", "success")
    return redirect(url_for("reception.blocks"), code=303)
