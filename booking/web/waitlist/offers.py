"""``/waitlist/<token>/offers/<ref>``: a freed time kept for the patient, claimed with one
confirmation or let go to the next person.

The GET only shows the offer; claiming and declining are POSTs. Claiming runs the booking
verb (``services.waitlist.claims``), so the confirmation afterwards is the booking flow's
own: its done page, its email with the invitation.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for

from booking import clock
from booking.extensions import db
from booking.intake import CONSENT_TEXT, QUESTIONS, ScreenError, parse_answers
from booking.models import OfferState, WaitlistEntry, WaitlistOffer
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.waitlist import answers, claims, entries
from booking.web import drafts
from booking.web.waitlist.forms import ClaimForm, PlainForm

ENDED = {
    OfferState.DECLINED: "You let this time go: it goes to the next person waiting. "
    "You are still on the waitlist.",
    OfferState.WITHDRAWN: "This offer was withdrawn and the time is no longer kept for you.",
    OfferState.EXPIRED: claims.ENDED_MESSAGE,
    OfferState.OPEN: claims.ENDED_MESSAGE,  # open, but its time ran out a moment ago
    OfferState.CLAIMED: claims.CLAIMED_MESSAGE,
}


def _load(token: str, ref: str) -> tuple[WaitlistEntry, WaitlistOffer]:
    entry = entries.find_by_token(token, now=clock.now())
    offer = answers.offer_of(entry, ref) if entry is not None else None
    if offer is None:
        abort(404)
    return entry, offer


def _claimed(token: str, ref: str) -> WaitlistOffer | None:
    """The offer this link claimed (its entry ended with the claim), for replays."""
    entry = answers.claimed_entry(token)
    offer = answers.offer_of(entry, ref) if entry is not None else None
    return offer if offer is not None and offer.state is OfferState.CLAIMED else None


def _render_ended(offer: WaitlistOffer, token: str | None, *, message: str | None, status: int):
    return render_template(
        "waitlist/offer_ended.html",
        offer=offer,
        token=token,
        message=message or ENDED[offer.state],
        alternatives=claims.next_free_times(offer, now=clock.now()),
        still_waiting=offer.entry.ended_at is None,
    ), status


def _render_offer(entry, offer, token, form, *, status=200, error=None, screen_errors=None):
    stale = claims.screen_is_stale(entry, clock.now())
    return render_template(
        "waitlist/offer.html",
        entry=entry,
        offer=offer,
        token=token,
        form=form,
        decline_form=PlainForm(),
        error=error,
        ask_screen=stale,
        questions=QUESTIONS,
        consent_text=CONSENT_TEXT,
        answers=(request.form.to_dict() if request.method == "POST" else {}),
        errors=screen_errors or {},
        consent_missing=request.method == "POST" and stale and not request.form.get("consent"),
    ), status


def offer(token: str, ref: str):
    if entries.find_by_token(token, now=clock.now()) is None and (done := _claimed(token, ref)):
        return render_template("waitlist/offer_claimed.html", offer=done), 200
    entry, offer = _load(token, ref)
    if not answers.is_live(offer, clock.now()):
        return _render_ended(offer, token, message=None, status=200)
    return _render_offer(entry, offer, token, ClaimForm(form_key=secrets.token_urlsafe(24)))


def _screen_from_form():
    """The screen asked again at claiming; returns (answers, errors)."""
    try:
        return parse_answers(request.form), {}
    except ScreenError as error:
        return None, dict(error.errors)


def claim(token: str, ref: str):
    form = ClaimForm()
    if entries.find_by_token(token, now=clock.now()) is None and (done := _claimed(token, ref)):
        # The confirmation sent twice: the booking it made, never a second one.
        replay = form.form_key.data and bookings.find_by_form_key(form.form_key.data)
        if replay and replay.id == done.booking_id:
            return _show_booked(replay.id, replay.public_id, moved=False)
        return render_template("waitlist/offer_claimed.html", offer=done), 409
    entry, offer = _load(token, ref)
    if not form.validate_on_submit():
        form.form_key.data = secrets.token_urlsafe(24)
        return _render_offer(entry, offer, token, form, status=400)
    screen = None
    now = clock.now()
    if claims.screen_is_stale(entry, now):
        screen, errors = _screen_from_form()
        if screen is None or not request.form.get("consent"):
            return _render_offer(entry, offer, token, form, status=400, screen_errors=errors)
    try:
        booking = claims.claim(
            offer.id,
            now=now,
            actor=Actor.patient(),
            form_key=form.form_key.data,
            screen=screen,
            policy=current_policy(),
        )
    except BookingError as refusal:
        if refusal.reason in ("offer_ended", "offer_claimed", "taken"):
            offer = db_refresh(offer)
            return _render_ended(offer, token, message=refusal.message, status=409)
        form.form_key.data = secrets.token_urlsafe(24)
        return _render_offer(entry, offer, token, form, status=409, error=refusal.message)
    return _show_booked(booking.id, booking.public_id, moved=entry.booking_id is not None)


def db_refresh(offer: WaitlistOffer) -> WaitlistOffer:
    db.session.rollback()
    return db.session.get(WaitlistOffer, offer.id, populate_existing=True)


def _show_booked(booking_id: int, public_id: str, *, moved: bool):
    """The booking flow's own confirmation, with a manage link of this browser's own."""
    manage_token = bookings.reissue_link(booking_id, now=clock.now())
    if moved:
        flash(
            "Your booking has been moved to the earlier time. We've emailed you the new details.",
            "success",
        )
        return redirect(url_for("manage.view", token=manage_token))
    session["last_booking"] = {"ref": public_id, "token": manage_token}
    drafts.discard_quietly()
    return redirect(url_for("book.done", ref=public_id))


def decline(token: str, ref: str):
    _, offer = _load(token, ref)
    if not PlainForm().validate_on_submit():
        abort(400)
    if not answers.decline(offer.id, now=clock.now()):
        return _render_ended(db_refresh(offer), token, message=None, status=409)
    flash(ENDED[OfferState.DECLINED], "success")
    return redirect(url_for("waitlist.view", token=token))
