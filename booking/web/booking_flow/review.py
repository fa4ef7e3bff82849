"""Step 5: check and book (once, whatever the browser resends); then the done page."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, session, url_for

from booking import clock
from booking.notify import settings
from booking.services import availability, bookings
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web import drafts, limits
from booking.web.booking_flow import course_review, steps
from booking.web.calendar_links import calendar_links
from booking.web.forms import ConfirmForm, TimeForm


@limits.booking_submissions
def review():
    form = ConfirmForm()
    submitted = request.method == "POST" and form.validate_on_submit()
    if submitted:
        # A second submit of the same form (double click, retry, back and resubmit)
        # returns the booking the first one made.
        done = bookings.find_by_form_key(form.form_key.data)
        if done is not None:
            return _show_booked(done.id, done.public_id, None)
        if (course_done := course_review.replayed(form.form_key.data)) is not None:
            return course_done
    data = drafts.load()
    choice = steps.chosen(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := steps.needs_screen(data) or steps.needs_course_fix(data, choice)) is not None:
        return gate
    start = steps.start(data)
    if start is None:
        return redirect(url_for("book.time"))
    details = data.get("details")
    if not details:
        return redirect(url_for("book.details"))
    if not data.get("form_key") and request.method == "GET":
        data = drafts.save(form_key=secrets.token_urlsafe(24))
    # Only the key this draft handed out books; anything else (a stale page from an
    # earlier attempt, a forged value) shows the review again to be confirmed.
    stale = request.method == "POST" and (
        not submitted or form.form_key.data != data.get("form_key")
    )
    form.form_key.data = data.get("form_key")
    if (wanted := steps.course(data, choice)) is not None:
        return course_review.review(
            form,
            data,
            choice,
            wanted,
            start,
            details,
            stale=stale,
            post=request.method == "POST",
        )
    error = None
    alternatives = []
    if request.method == "POST" and not stale:
        request_ = steps.booking_request(data, choice, start, details)
        try:
            result = bookings.book(
                request_, actor=Actor.patient(), now=clock.now(), policy=current_policy()
            )
        except BookingError as refusal:
            if refusal.reason != "taken":
                # The screen or the treatment no longer fits: go back to where it's fixed.
                flash(refusal.message, "error")
                target = "book.choose" if refusal.field == "service" else "book.health"
                return redirect(url_for(target))
            error, alternatives = refusal.message, refusal.alternatives
            # A new attempt after a refusal is a new submission.
            drafts.save(form_key=secrets.token_urlsafe(24), start=None)
        else:
            return _show_booked(result.booking.id, result.booking.public_id, result.manage_token)
    if error:
        return render_template(
            "booking/time.html",
            form=TimeForm(),
            choice=choice,
            picker=None,
            chosen=None,
            alternatives=alternatives,
            taken_message=error,
            step=steps.step_info("book.time"),
            zone_name=availability.clinic_zone().key,
        ), 409
    price = choice.service.duration(choice.minutes).price_pence
    policy = bookings.policy_snapshot()
    to_start = start - clock.now()
    return render_template(
        "booking/review.html",
        inside_cancel_cutoff=to_start < timedelta(hours=policy["cancel_cutoff_hours"]),
        inside_reschedule_cutoff=to_start < timedelta(hours=policy["reschedule_cutoff_hours"]),
        form=form,
        choice=choice,
        start=start,
        details=details,
        price=price,
        held=steps.hold_bound(data, clock.now()) is not None,
        step=steps.step_info("book.review"),
        policy=policy,
        stale=stale,
    ), (400 if stale else 200)


def _show_booked(booking_id: int, public_id: str, token: str | None):
    """Send the browser that booked to its booking, after the booking's commit.

    A replay (the same form key after an unknown outcome, a double click) gets a fresh
    manage link of its own. The draft is cleared last, and a failure to clear it is only
    logged: the booking is made, and the stale draft's form key only ever replays it.
    """
    if token is None:
        token = bookings.reissue_link(booking_id, now=clock.now())
    session["last_booking"] = {"ref": public_id, "token": token}
    drafts.discard_quietly()
    return redirect(url_for("book.done", ref=public_id))


def done(ref: str):
    last = session.get("last_booking") or {}
    if last.get("ref") != ref:
        # Only the browser that booked sees the done page; others use the emailed link.
        abort(404)
    booking = bookings.find_by_token(last.get("token", ""))
    if booking is None or booking.public_id != ref:
        abort(404)
    return render_template(
        "booking/done.html",
        booking=booking,
        manage_url=settings.manage_url(last["token"]),
        policy=booking.policy_snapshot,
        calendar=calendar_links(booking, last["token"], now=clock.now()),
    )
