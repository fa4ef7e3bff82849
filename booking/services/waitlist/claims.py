"""Claiming an offer: the booking verb books (or moves) the time, consuming the offer.

Claiming runs ``bookings.book`` (or ``bookings.reschedule`` for a patient moving an
existing booking earlier) with the offer's reservation, so validation, the screen, hold
rules, caps and idempotency are the booking flow's own, and the claim, the booking and the
end of the reservation commit in one transaction: of two claims, a claim and the expiry, or
a claim and a reception booking, exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.extensions import db
from booking.intake import ScreenAnswers, parse_answers
from booking.models import Booking, OfferState, WaitlistEntry, WaitlistOffer
from booking.policy import ClinicPolicy
from booking.services import availability, bookings
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError

ENDED_MESSAGE = (
    "Sorry, this offer has ended and the time has gone back to the waitlist. You are still "
    "on the waitlist; here are the next free times."
)
CLAIMED_MESSAGE = "This time has already been claimed."


def screen_is_stale(
    entry: WaitlistEntry, now: datetime, *, policy: ClinicPolicy | None = None
) -> bool:
    """Say whether the screen answered at joining is too old to book on without asking again."""
    days = (policy or current_policy()).waitlist_screen_max_age_days
    return entry.screened_at is None or entry.screened_at + timedelta(days=days) < now


def next_free_times(
    offer: WaitlistOffer, *, now: datetime, limit: int = 5, policy: ClinicPolicy | None = None
) -> list:
    """The free starts nearest the ended offer's, for the kind "offer ended" answer.

    The offered start itself is left out: the patient let it go (or it ran out and is the
    next patient's), so it is not the "next" free time for them. A patient whose screen
    would hold the booking sees only starts that leave the day needed to get cleared.
    """
    entry = offer.entry
    policy = policy or current_policy()
    bound = availability.hold_start_bound(now, policy=policy) if entry.needs_clearance else None
    found = bookings.nearest_alternatives(
        offer.service,
        offer.minutes,
        offer.starts_at,
        now=now,
        therapist_id=entry.therapist_id,
        earliest_start=bound,
        limit=limit + 1,
        policy=policy,
    )
    return [s for s in found if s.start != offer.starts_at][:limit]


def _ended(offer: WaitlistOffer, now: datetime, policy: ClinicPolicy) -> BookingError:
    alternatives = next_free_times(offer, now=now, policy=policy)
    return BookingError("offer_ended", ENDED_MESSAGE, alternatives=alternatives)


def claim(
    offer_id: int,
    *,
    now: datetime,
    actor: Actor,
    form_key: str | None = None,
    screen: ScreenAnswers | None = None,
    policy: ClinicPolicy | None = None,
) -> Booking:
    """Book (or move the entry's booking to) the offered time; return the booking.

    ``screen`` is required, and replaces the stored answers, when those are older than
    ``WAITLIST_SCREEN_MAX_AGE_DAYS``. Raises BookingError("offer_ended" | "offer_claimed" |
    "screen_required" | any refusal of the booking verb).
    """
    policy = policy or current_policy()
    offer = db.session.get(WaitlistOffer, offer_id)
    if offer is None:
        raise BookingError("not_found", "We couldn't find that offer.")
    entry = offer.entry
    if offer.state is OfferState.CLAIMED:
        if form_key and offer.booking_id and (done := bookings.find_by_form_key(form_key)):
            return done  # the same confirmation sent twice
        raise BookingError("offer_claimed", CLAIMED_MESSAGE)
    if offer.state is not OfferState.OPEN or offer.expires_at <= now:
        raise _ended(offer, now, policy)
    if screen is None:
        if screen_is_stale(entry, now, policy=policy):
            raise BookingError(
                "screen_required",
                "It has been a while since you answered the health questions: "
                "please answer them again.",
                field="screen",
            )
        screen = parse_answers(entry.screen_answers or {})
    reservation_id = offer.reservation_id
    try:
        if entry.booking_id is not None:
            booking = bookings.reschedule(
                entry.booking_id,
                offer.starts_at,
                actor=actor,
                now=now,
                therapist_id=offer.therapist_id,
                reservation_id=reservation_id,
                policy=policy,
            )
        else:
            booking = bookings.book(
                bookings.BookingRequest(
                    service_id=offer.service_id,
                    minutes=offer.minutes,
                    start=offer.starts_at,
                    therapist_id=offer.therapist_id,
                    name=entry.contact_name,
                    email=entry.contact_email,
                    phone=entry.contact_phone,
                    over_18=entry.over_18,
                    form_key=form_key,
                    screen=screen,
                    reservation_id=reservation_id,
                ),
                actor=actor,
                now=now,
                policy=policy,
            ).booking
    except BookingError as refusal:
        if refusal.reason != "taken":
            raise
        db.session.rollback()
        offer = db.session.get(WaitlistOffer, offer_id, populate_existing=True)
        if offer.state is OfferState.CLAIMED:
            raise BookingError("offer_claimed", CLAIMED_MESSAGE) from None
        raise _ended(offer, now, policy) from None
    return booking
