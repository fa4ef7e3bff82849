"""The entry's own pages, opened by its link: view, change the wish, leave."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from booking import clock
from booking.extensions import db
from booking.models import Booking, WaitlistEntry
from booking.services import availability
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.waitlist import answers, entries
from booking.web.waitlist.common import (
    horizon,
    load_entry,
    show_refusal,
    therapist_choices,
    therapist_id,
    wish_words,
)
from booking.web.waitlist.forms import PlainForm, WishForm


def view(token: str):
    entry = load_entry(token)
    now = clock.now()
    offer = entries.open_offer(entry)
    return render_template(
        "waitlist/view.html",
        entry=entry,
        wish=wish_words(entry),
        token=token,
        offer=offer if offer is not None and answers.is_live(offer, now) else None,
        form=PlainForm(),
    )


def change(token: str):
    entry = load_entry(token)
    form = WishForm()
    therapist_choices(form, entry.service)
    if request.method == "GET":
        form.first_day.data, form.last_day.data = entry.first_day, entry.last_day
        form.weekdays.data = [str(d) for d in entry.weekdays or ()]
        form.day_parts.data = list(entry.day_parts or ())
        form.therapist.data = entry.therapist.slug if entry.therapist else ""
    status = 200
    if form.validate_on_submit():
        wish = answers.WishChange(
            first_day=form.first_day.data,
            last_day=form.last_day.data,
            therapist_id=therapist_id(form),
            weekdays=tuple(int(d) for d in form.weekdays.data or ()),
            day_parts=tuple(form.day_parts.data or ()),
        )
        last_possible = _move_bound(entry)
        try:
            if last_possible is not None and wish.last_day > last_possible:
                raise BookingError(
                    "bad_range", "Please choose days before your appointment.", field="last_day"
                )
            answers.change(entry.id, wish, now=clock.now())
        except BookingError as refusal:
            show_refusal(form, refusal)
            status = 409 if refusal.reason == "offer_open" else 400
        else:
            flash("Your waitlist place is changed; it keeps its place in the queue.", "success")
            return redirect(url_for("waitlist.view", token=token))
    elif request.method == "POST":
        status = 400
    return render_template(
        "waitlist/change.html", form=form, entry=entry, token=token, horizon=horizon()
    ), status


def _move_bound(entry: WaitlistEntry) -> date | None:
    """The last day an entry that moves a booking may wish for: the day before it."""
    booking = db.session.get(Booking, entry.booking_id) if entry.booking_id else None
    if booking is None:
        return None
    return booking.starts_at.astimezone(availability.clinic_zone()).date() - timedelta(days=1)


def leave(token: str):
    entry = load_entry(token)
    if not PlainForm().validate_on_submit():
        abort(400)
    entries.leave(entry.id, actor=Actor.patient(), now=clock.now(), reason="left")
    return render_template("waitlist/left.html", service=entry.service), 200
