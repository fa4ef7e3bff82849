"""The patient's side of an entry: finding it by its link, changing the wish, declining.

Claiming is :mod:`booking.services.waitlist.claims`; joining and leaving are
:mod:`booking.services.waitlist.entries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import OfferState, WaitlistEntry, WaitlistOffer, WaitlistToken
from booking.services import audit, reservations
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction
from booking.services.waitlist import entries
from booking.tokens import looks_like_token, new_token, token_hash


@dataclass(frozen=True)
class WishChange:
    """What a patient may change of a waiting entry (its place in the queue is kept)."""

    first_day: date
    last_day: date
    therapist_id: int | None
    weekdays: tuple[int, ...] = ()
    day_parts: tuple[str, ...] = ()


def claimed_entry(token: str) -> WaitlistEntry | None:
    """Return the entry a link opened before a claim ended it (for replays), else None."""
    if not looks_like_token(token):
        return None
    entry = db.session.scalar(
        select(WaitlistEntry)
        .join(WaitlistToken, WaitlistToken.entry_id == WaitlistEntry.id)
        .where(WaitlistToken.token_hash == token_hash(token), WaitlistToken.revoked_at.is_(None))
    )
    return entry if entry is not None and entry.end_reason == "claimed" else None


def offer_of(entry: WaitlistEntry, ref: str) -> WaitlistOffer | None:
    """Return the entry's offer with public id ``ref``: another entry's offer is a miss."""
    return db.session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.public_id == ref[:32]
        )
    )


def is_live(offer: WaitlistOffer, now: datetime) -> bool:
    return offer.state is OfferState.OPEN and offer.expires_at > now


def decline(offer_id: int, *, now: datetime) -> bool:
    """Give an open offer's time to the next entry; return False if it had already ended.

    Compare-and-set on the state and expiry, so a decline racing a claim or the expiry has
    one outcome. The entry stays on the waitlist.
    """

    def attempt() -> bool:
        declined = db.session.execute(
            update(WaitlistOffer)
            .where(
                WaitlistOffer.id == offer_id,
                WaitlistOffer.state == OfferState.OPEN,
                WaitlistOffer.expires_at > now,
            )
            .values(state=OfferState.DECLINED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if declined != 1:
            return False
        offer = db.session.get(WaitlistOffer, offer_id, populate_existing=True)
        reservations.end_offer(offer, OfferState.DECLINED, now=now)
        audit.record("waitlist.declined", actor=Actor.patient(), now=now, offer=offer.public_id)
        return True

    return run_in_write_transaction(attempt)


def change(entry_id: int, wish: WishChange, *, now: datetime) -> None:
    """Change the dates, days, times of day and therapist of a waiting entry.

    The entry keeps its place: it is still the same wish, only narrower or wider. Raises
    BookingError("offer_open") while an offer waits for an answer, or the joining checks'
    refusals ("bad_range", ...).
    """

    def attempt() -> None:
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            raise BookingError("not_found", "This waitlist place has ended.")
        if entries.open_offer(entry) is not None:
            raise BookingError(
                "offer_open",
                "We're keeping a time for you right now: please answer that offer first.",
            )
        probe = entries.JoinRequest(
            service_id=entry.service_id,
            minutes=entry.minutes,
            first_day=wish.first_day,
            last_day=wish.last_day,
            name=entry.contact_name,
            email=entry.contact_email,
            phone=entry.contact_phone,
            screen=None,
            therapist_id=wish.therapist_id,
            weekdays=wish.weekdays,
            day_parts=wish.day_parts,
        )
        service = entries.check_wish(probe, now)
        if wish.therapist_id is not None and wish.therapist_id not in {
            t.id for t in service.therapists
        }:
            raise BookingError(
                "unknown_therapist", "Please choose one of the therapists shown.", field="therapist"
            )
        entry.first_day, entry.last_day = wish.first_day, wish.last_day
        entry.therapist_id = wish.therapist_id
        entry.weekdays = sorted(set(wish.weekdays))
        entry.day_parts = sorted(set(wish.day_parts))
        entry.updated_at = now
        audit.record("waitlist.changed", actor=Actor.patient(), now=now, entry=entry.public_id)

    run_in_write_transaction(attempt)


def reissue_link(entry_id: int, *, now: datetime) -> str:
    """Mint and commit a new link for an entry its owner proved is theirs (a replay, or the
    manage link of the booking it would move). Old links keep working."""

    def attempt() -> str:
        token = new_token()
        db.session.add(
            WaitlistToken(entry_id=entry_id, token_hash=token_hash(token), created_at=now)
        )
        return token

    return run_in_write_transaction(attempt)


def same_wish(request: entries.JoinRequest) -> WaitlistEntry | None:
    """Return a waiting entry that is exactly this request (a form sent twice), if any."""
    return db.session.scalar(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.ended_at.is_(None),
            WaitlistEntry.contact_email == request.email,
            WaitlistEntry.service_id == request.service_id,
            WaitlistEntry.minutes == request.minutes,
            WaitlistEntry.first_day == request.first_day,
            WaitlistEntry.last_day == request.last_day,
            WaitlistEntry.therapist_id.is_(None)
            if request.therapist_id is None
            else WaitlistEntry.therapist_id == request.therapist_id,
            WaitlistEntry.booking_id.is_(None)
            if request.booking_id is None
            else WaitlistEntry.booking_id == request.booking_id,
        )
        .order_by(WaitlistEntry.id)
        .limit(1)
    )


def waiting_to_move(booking_id: int) -> WaitlistEntry | None:
    """Return the waiting entry that would move ``booking_id`` earlier, if there is one."""
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.booking_id == booking_id, WaitlistEntry.ended_at.is_(None)
        )
    )
