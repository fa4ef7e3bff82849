"""Joining the waitlist: from the picker (the booking draft's treatment and screen) or from a
booking's manage page to move it earlier; the page shown after joining."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.intake import ScreenError, parse_answers
from booking.models import Booking, Intake
from booking.notify.settings import public_url
from booking.services import availability, bookings, manage_links
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.waitlist import answers, entries
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.waitlist.common import (
    horizon,
    requested_day,
    show_refusal,
    therapist_choices,
    therapist_id,
    today,
    wish_words,
)
from booking.web.waitlist.forms import JoinForm, WishForm


def join():
    """Join from the picker: the treatment and the screen are the booking draft's own."""
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        flash("First choose the treatment you'd like; then you can ask to be told.", "info")
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data)) is not None:
        return gate
    form = JoinForm()
    therapist_choices(form, choice.service)
    if request.method == "GET":
        day = requested_day()
        form.first_day.data = day or today()
        form.last_day.data = day or min(today() + timedelta(days=13), horizon())
        therapist = next(
            (t for t in choice.service.therapists if t.id == choice.therapist_id), None
        )
        form.therapist.data = therapist.slug if therapist else ""
        saved = data.get("details") or {}
        form.name.data, form.email.data = saved.get("name"), saved.get("email")
        form.phone.data = saved.get("phone")
        form.over_18.data = saved.get("over_18", False)
    status = 200
    if form.validate_on_submit():
        wish = entries.JoinRequest(
            service_id=choice.service.id,
            minutes=choice.minutes,
            first_day=form.first_day.data,
            last_day=form.last_day.data,
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data,
            screen=steps.screen(data),
            therapist_id=therapist_id(form),
            weekdays=tuple(int(d) for d in form.weekdays.data or ()),
            day_parts=tuple(form.day_parts.data or ()),
            over_18=bool(form.over_18.data),
        )
        now = clock.now()
        same = answers.same_wish(wish)
        if same is not None:  # the same form sent twice: the first entry, a fresh link
            return _show_joined(same.public_id, answers.reissue_link(same.id, now=now))
        try:
            entry, token = entries.join(
                wish, actor=Actor.patient(), now=now, policy=current_policy()
            )
        except BookingError as refusal:
            if refusal.field == "screen":
                flash(refusal.message, "error")
                return redirect(url_for("book.health"))
            show_refusal(form, refusal)
            status = 409 if refusal.reason == "waitlist_cap" else 400
        else:
            return _show_joined(entry.public_id, token)
    elif request.method == "POST":
        status = 400
    return render_template(
        "waitlist/join.html",
        form=form,
        choice=choice,
        horizon=horizon(),
        cap=current_policy().waitlist_max_entries_per_email,
    ), status


def _show_joined(ref: str, token: str):
    session["last_waitlist"] = {"ref": ref, "token": token}
    return redirect(url_for("waitlist.joined", ref=ref))


def joined(ref: str):
    last = session.get("last_waitlist") or {}
    if last.get("ref") != ref:
        abort(404)  # only the browser that joined; others use the emailed link
    entry = entries.find_by_token(last.get("token", ""), now=clock.now())
    if entry is None or entry.public_id != ref:
        abort(404)
    return render_template(
        "waitlist/joined.html",
        entry=entry,
        wish=wish_words(entry),
        token=last["token"],
        link=public_url(f"/waitlist/{last['token']}"),
    )


def _booking_screen(booking: Booking):
    """The screen the booking was made with, for an entry that would move it."""
    intake = db.session.scalar(select(Intake).where(Intake.booking_id == booking.id))
    if intake is None or not intake.answers:
        return None
    try:
        return parse_answers(intake.answers)
    except ScreenError:
        return None


def earlier(token: str):
    """ "I'd take an earlier time": wait for one; claiming it moves this booking."""
    booking = manage_links.find_booking(token)
    if booking is None:
        abort(404)
    now = clock.now()
    rules = bookings.change_rules(booking, now)
    booked_day = booking.starts_at.astimezone(availability.clinic_zone()).date()
    last_possible = booked_day - timedelta(days=1)
    screen = _booking_screen(booking)
    if rules.reason == "finished":
        return render_template("manage/finished.html", booking=booking, token=token), 409
    if not rules.can_reschedule or last_possible < today() or screen is None:
        return render_template("waitlist/earlier_unavailable.html", booking=booking, token=token), (
            409 if request.method == "POST" else 200
        )
    waiting = answers.waiting_to_move(booking.id)
    if waiting is not None:
        flash("You're already waiting for an earlier time for this booking.", "info")
        return redirect(url_for("waitlist.view", token=answers.reissue_link(waiting.id, now=now)))
    form = WishForm()
    therapist_choices(form, booking.service)
    if request.method == "GET":
        form.first_day.data, form.last_day.data = today(), last_possible
        form.therapist.data = ""
    status = 200
    if form.validate_on_submit():
        if form.last_day.data > last_possible:
            form.last_day.errors = [
                f"Please choose days before your appointment on {booked_day:%A} {booked_day.day} "
                f"{booked_day:%B}."
            ]
            status = 400
        else:
            wish = entries.JoinRequest(
                service_id=booking.service_id,
                minutes=booking.duration_minutes,
                first_day=form.first_day.data,
                last_day=form.last_day.data,
                name=booking.contact_name or booking.patient.name,
                email=booking.contact_email or booking.patient.email,
                phone=booking.contact_phone or booking.patient.phone or "",
                screen=screen,
                therapist_id=therapist_id(form),
                weekdays=tuple(int(d) for d in form.weekdays.data or ()),
                day_parts=tuple(form.day_parts.data or ()),
                over_18=booking.over_18,
                booking_id=booking.id,
            )
            try:
                entry, entry_token = entries.join(
                    wish, actor=Actor.patient(), now=now, policy=current_policy()
                )
            except BookingError as refusal:
                show_refusal(form, refusal)
                status = 409 if refusal.reason == "waitlist_cap" else 400
            else:
                return _show_joined(entry.public_id, entry_token)
    elif request.method == "POST":
        status = 400
    return render_template(
        "waitlist/earlier.html", form=form, booking=booking, token=token, last=last_possible
    ), status
