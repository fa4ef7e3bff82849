"""Reception's waitlist verbs: the queue for a service and day, offering by hand, skipping,
removing with a reason. (Booking a waiting caller by phone ends the entry inside the
booking verb: ``reservations.end_fulfilled``.)

A hand offer reserves its time exactly as the worker's offers do (``offering.reserve``): the
same one-offer-at-a-time rule, the same reservation row, so a hand offer and the worker's
offer for one time cannot both be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import OfferState, Service, WaitlistEntry, WaitlistOffer
from booking.services import audit, availability, reasons, reservations
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction
from booking.services.waitlist import entries, offering
from booking.waitlist import FreeTime, Wish, fits

ALREADY_OFFERED = (
    "This patient already has an offer in flight: skip it first, or wait until it ends."
)
NOT_FREE = "That time is no longer free (or too close to offer); choose another."
NOT_WAITING = "This patient is no longer on the waitlist."


@dataclass(frozen=True)
class Waiting:
    """One entry as reception sees it: the wish, its place, and the offer in flight."""

    entry: WaitlistEntry
    position: int
    offer: WaitlistOffer | None
    times: tuple[datetime, ...]  # free starts that day that fit the wish (hand offers)


def find(public_id: str) -> WaitlistEntry | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.public_id == public_id))


def queue(service: Service, day: date, *, now: datetime) -> list[Waiting]:
    """Entries waiting for ``service`` whose wish covers ``day``, longest waiting first."""
    zone = availability.clinic_zone()
    waiting = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.ended_at.is_(None),
                WaitlistEntry.service_id == service.id,
                WaitlistEntry.first_day <= day,
                WaitlistEntry.last_day >= day,
            )
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        )
    )
    waiting = [e for e in waiting if not e.weekdays or day.weekday() in e.weekdays]
    if not waiting:
        return []
    open_offers = {
        o.entry_id: o
        for o in db.session.scalars(
            select(WaitlistOffer).where(
                WaitlistOffer.entry_id.in_([e.id for e in waiting]),
                WaitlistOffer.state == OfferState.OPEN,
                WaitlistOffer.expires_at > now,  # one run out is not in flight any more
            )
        )
    }
    free: dict[int, list[FreeTime]] = {}
    for minutes in {e.minutes for e in waiting}:
        found = availability.slots_for(service, minutes, day, day, now=now).slots
        free[minutes] = [
            FreeTime(service.id, minutes, s.start, s.busy_until, s.therapist_ids) for s in found
        ]
    bound = availability.hold_start_bound(now)
    out = []
    for position, entry in enumerate(waiting, start=1):
        wish = Wish(
            entry_id=entry.id,
            joined_at=entry.joined_at,
            service_id=entry.service_id,
            minutes=entry.minutes,
            first_day=entry.first_day,
            last_day=entry.last_day,
            therapist_id=entry.therapist_id,
            weekdays=frozenset(entry.weekdays or ()),
            day_parts=frozenset(entry.day_parts or ()),
            earliest_start=bound if entry.needs_clearance else None,
        )
        times = tuple(t.start for t in free[entry.minutes] if fits(wish, t, zone))
        out.append(Waiting(entry, position, open_offers.get(entry.id), times))
    return out


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = availability.clinic_zone()
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, start + timedelta(days=1)


def offer_by_hand(entry_id: int, start: datetime, *, actor: Actor, now: datetime) -> int:
    """Offer ``start`` to the entry, reserved like the worker's offers; return the offer id.

    Raises BookingError("not_waiting" | "already_offered" | "not_free").
    """
    entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
    if entry is None or entry.ended_at is not None:
        raise BookingError("not_waiting", NOT_WAITING)
    if _in_flight(entry, now):
        raise BookingError("already_offered", ALREADY_OFFERED)
    # reserve() ends offers whose time ran out before it looks, in its own transaction.
    offer_id = offering.reserve(
        entry_id, start, entry.therapist_id, now=now, source="reception", actor=actor
    )
    if offer_id is None:
        db.session.rollback()
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            raise BookingError("not_waiting", NOT_WAITING)
        if _in_flight(entry, now):
            raise BookingError("already_offered", ALREADY_OFFERED)
        raise BookingError("not_free", NOT_FREE, field="start")
    return offer_id


def _in_flight(entry: WaitlistEntry, now: datetime) -> bool:
    offer = entries.open_offer(entry)
    return offer is not None and offer.expires_at > now


def skip(entry_id: int, *, actor: Actor, now: datetime) -> None:
    """Withdraw the entry's offer in flight: the time goes to the next entry it fits.

    The entry keeps its place for other times; it is not offered this one again (a
    withdrawn offer counts as refused by the offering rule).
    Raises BookingError("not_waiting" | "no_offer").
    """

    def attempt():
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            raise BookingError("not_waiting", NOT_WAITING)
        offer = entries.open_offer(entry)
        if offer is None or offer.expires_at <= now:
            raise BookingError("no_offer", "This patient has no offer in flight to skip.")
        reservations.end_offer(offer, OfferState.WITHDRAWN, now=now)
        audit.record(
            "waitlist.skipped",
            actor=actor,
            now=now,
            entry=entry.public_id,
            offer=offer.public_id,
            starts_at=offer.starts_at.isoformat(),
        )

    run_in_write_transaction(attempt)


def remove(entry_id: int, reason: str, *, actor: Actor, now: datetime) -> None:
    """Take an entry off the waitlist with a staff reason (its offer, if any, ends).

    Raises BookingError("invalid", field="reason") for a reason that is not a sentence,
    or ("not_waiting").
    """
    cleaned = reasons.check_reason(reason)

    def attempt():
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            raise BookingError("not_waiting", NOT_WAITING)
        offer = entries.open_offer(entry)
        if offer is not None:
            reservations.end_offer(offer, OfferState.WITHDRAWN, now=now)
        entry.ended_at = now
        entry.end_reason = "removed by reception"
        entry.updated_at = now
        audit.record(
            "waitlist.removed", actor=actor, now=now, entry=entry.public_id, reason=cleaned[:200]
        )

    run_in_write_transaction(attempt)
