"""The booking rows that reserve a time for an open offer, and ending them.

An open offer's time is held by a ``bookings`` row in the ``offered`` state, so the
exclusion constraints and the scheduler treat it exactly like a clearance hold; a row whose
expiry has passed never blocks, and :func:`release_overdue` removes it (the booking verbs
call it before they write, through ``holds.expire_overdue``). Below the waitlist verbs:
the booking and hold verbs use it too, and end the waitlist entry a booking fulfils.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update

from booking.extensions import db
from booking.models import Booking, BookingStatus, OfferState, WaitlistEntry, WaitlistOffer
from booking.services import audit
from booking.services.audit import Actor


def end_offer(offer: WaitlistOffer, state: OfferState, *, now: datetime) -> None:
    """Close ``offer`` as ``state`` and give its time back (caller's transaction)."""
    reservation_id = offer.reservation_id
    offer.state = state
    offer.decided_at = now
    offer.reservation_id = None
    db.session.flush()
    if reservation_id is not None:
        db.session.execute(
            delete(Booking)
            .where(Booking.id == reservation_id, Booking.status == BookingStatus.OFFERED)
            .execution_options(synchronize_session=False)
        )


def end_fulfilled(entry_id: int, booking_ref: str, *, actor: Actor, now: datetime) -> None:
    """End an entry whose patient reception has just booked by phone (caller's transaction).

    The booking verb calls it inside its own transaction (``BookingRequest.waitlist_entry_id``),
    so the booking and the end of the entry commit together or not at all. An entry that
    ended meanwhile (the patient left, or the booking claimed its own offer) is left as it is.
    """
    entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
    if entry is None or entry.ended_at is not None:
        return
    offer = db.session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.state == OfferState.OPEN
        )
    )
    if offer is not None:
        end_offer(offer, OfferState.WITHDRAWN, now=now)
    entry.ended_at = now
    entry.end_reason = "booked by reception"
    entry.updated_at = now
    audit.record(
        "waitlist.booked_by_phone",
        actor=actor,
        now=now,
        entry=entry.public_id,
        booking_ref=booking_ref,
    )


def consume(reservation_id: int, *, now: datetime, actor: Actor) -> WaitlistOffer | None:
    """Mark the live offer holding ``reservation_id`` claimed and free its time for the claim.

    Compare-and-set on state and expiry: of several claims (or a claim and the expiry) only
    one finds the offer open. Returns the offer, or None when it had already ended. Runs in
    the booking verb's transaction, so the claim and the new booking commit together; the
    audit names who claimed (the patient, or reception booking the caller it was kept for).
    """
    offer_id = db.session.scalar(
        select(WaitlistOffer.id).where(WaitlistOffer.reservation_id == reservation_id)
    )
    if offer_id is None:
        return None
    claimed = db.session.execute(
        update(WaitlistOffer)
        .where(
            WaitlistOffer.id == offer_id,
            WaitlistOffer.state == OfferState.OPEN,
            WaitlistOffer.expires_at > now,
        )
        .values(state=OfferState.CLAIMED, decided_at=now, reservation_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    db.session.execute(
        delete(Booking)
        .where(Booking.id == reservation_id, Booking.status == BookingStatus.OFFERED)
        .execution_options(synchronize_session=False)
    )
    offer = db.session.get(WaitlistOffer, offer_id, populate_existing=True)
    # A claimed wish is fulfilled: the entry ends with the claim.
    entry = offer.entry
    entry.ended_at = now
    entry.end_reason = "claimed"
    entry.updated_at = now
    audit.record("waitlist.claimed", actor=actor, now=now, offer=offer.public_id)
    return offer


def _overdue_offer(now: datetime):
    return (WaitlistOffer.state == OfferState.OPEN) & (WaitlistOffer.expires_at <= now)


def _stray_reservation(now: datetime):
    return (Booking.status == BookingStatus.OFFERED) & (Booking.hold_expires_at <= now)


def anything_overdue(now: datetime):
    """SQL: whether :func:`release_overdue` has anything to do at ``now``."""
    return or_(
        exists().where(_overdue_offer(now)),
        exists().where(_stray_reservation(now)),
    )


def release_overdue(*, now: datetime) -> list[WaitlistOffer]:
    """Expire every open offer whose time ran out and remove its reservation; return them.

    Runs inside the caller's transaction; compare-and-set on the state, so an offer claimed
    meanwhile is left alone.
    """
    overdue = list(
        db.session.scalars(
            select(WaitlistOffer)
            .where(_overdue_offer(now))
            .order_by(WaitlistOffer.id)
            .with_for_update(skip_locked=True)
        )
    )
    for offer in overdue:
        end_offer(offer, OfferState.EXPIRED, now=now)
        audit.record("waitlist.offer_expired", actor=Actor.system(), now=now, offer=offer.public_id)
    # Rows left without an open offer (none should be) never block once expired either.
    # Looked for first: a DELETE, even of nothing, fires the statement trigger that bumps
    # the schedule version, which would lock that row for the rest of every verb's
    # transaction and empty the availability cache on each one.
    stray = list(db.session.scalars(select(Booking.id).where(_stray_reservation(now))))
    if stray:
        db.session.execute(
            delete(Booking)
            .where(
                Booking.id.in_(stray),
                Booking.status == BookingStatus.OFFERED,
                Booking.hold_expires_at <= now,
            )
            .execution_options(synchronize_session=False)
        )
    return overdue
