"""The worker's waitlist job: offer free times that match waiting entries, one each.

Each pass looks for free times that match waiting entries. That one look covers every way
a time comes free (a cancellation, an expired or released hold, a reschedule away,
reception cancelling, new working hours, a lifted closure, an offer declined or expired)
without hooking any of those verbs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    OfferState,
    Service,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.notify import waitlist_mail
from booking.scheduling import bookings_per_therapist, choose_room, choose_therapist
from booking.services import audit, availability, holds, reservations
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.locking import run_in_write_transaction, write_transaction
from booking.waitlist import FreeTime, Wish, assign, offer_expiry


def _offer_length() -> timedelta:
    return timedelta(minutes=current_policy().waitlist_offer_minutes)


def _min_notice() -> timedelta:
    return timedelta(minutes=current_policy().min_notice_minutes)


def end_finished_entries(*, now: datetime) -> int:
    """End entries whose date range is over (their open offers go with them)."""
    today = now.astimezone(availability.clinic_zone()).date()
    ended = 0
    with write_transaction():
        for entry in db.session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.ended_at.is_(None), WaitlistEntry.last_day < today
            )
        ):
            offer = db.session.scalar(
                select(WaitlistOffer).where(
                    WaitlistOffer.entry_id == entry.id, WaitlistOffer.state == OfferState.OPEN
                )
            )
            if offer is not None:
                reservations.end_offer(offer, OfferState.WITHDRAWN, now=now)
            entry.ended_at = now
            entry.end_reason = "range ended"
            ended += 1
    return ended


def _wishes(now: datetime) -> list[tuple[Wish, WaitlistEntry]]:
    entries = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.ended_at.is_(None))
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        )
    )
    if not entries:
        return []
    history: dict[int, list[WaitlistOffer]] = defaultdict(list)
    for offer in db.session.scalars(
        select(WaitlistOffer).where(WaitlistOffer.entry_id.in_([e.id for e in entries]))
    ):
        history[offer.entry_id].append(offer)
    # Times a held-screen entry may take: those leaving the day needed to get cleared even
    # if the patient claims at the very end of the offer.
    clearance_bound = availability.hold_start_bound(now + _offer_length())
    out = []
    for entry in entries:
        offers = history[entry.id]
        out.append(
            (
                Wish(
                    entry_id=entry.id,
                    joined_at=entry.joined_at,
                    service_id=entry.service_id,
                    minutes=entry.minutes,
                    first_day=entry.first_day,
                    last_day=entry.last_day,
                    therapist_id=entry.therapist_id,
                    weekdays=frozenset(entry.weekdays or ()),
                    day_parts=frozenset(entry.day_parts or ()),
                    earliest_start=clearance_bound if entry.needs_clearance else None,
                    has_open_offer=any(o.state is OfferState.OPEN for o in offers),
                    refused_times=frozenset(
                        (o.starts_at, o.ends_at) for o in offers if o.state is not OfferState.OPEN
                    ),
                ),
                entry,
            )
        )
    return out


def _free_times(wishes: list[Wish], now: datetime) -> list[FreeTime]:
    """The free starts of every (service, length) someone waits for, within their ranges."""
    zone = availability.clinic_zone()
    today = now.astimezone(zone).date()
    spans: dict[tuple[int, int], list] = {}
    for wish in wishes:
        if wish.has_open_offer:
            continue
        key = (wish.service_id, wish.minutes)
        first, last = max(wish.first_day, today), wish.last_day
        if first > last:
            continue
        span = spans.get(key)
        spans[key] = [first, last] if span is None else [min(span[0], first), max(span[1], last)]
    times = []
    for (service_id, minutes), (first, last) in spans.items():
        service = db.session.get(Service, service_id)
        if service is None or not service.active:
            continue
        for slot in availability.slots_for(service, minutes, first, last, now=now).slots:
            times.append(
                FreeTime(service_id, minutes, slot.start, slot.busy_until, slot.therapist_ids)
            )
    return times


def offer_free_times(*, now: datetime) -> int:
    """One pass: end finished entries and overdue offers, then make the offers due now.

    Returns how many offers were made. Each offer is reserved in its own transaction, with
    the time re-checked inside it; a time taken meanwhile is simply not offered.
    """
    end_finished_entries(now=now)
    with write_transaction():
        reservations.release_overdue(now=now)
    db.session.rollback()
    pairs = _wishes(now)
    wishes = [w for w, _ in pairs]
    by_id = {w.entry_id: e.id for w, e in pairs}
    times = _free_times(wishes, now)
    made = 0
    for wish, time in assign(wishes, times, availability.clinic_zone()):
        if reserve(by_id[wish.entry_id], time.start, wish.therapist_id, now=now) is not None:
            made += 1
    db.session.rollback()
    return made


def reserve(
    entry_id: int,
    start: datetime,
    therapist_id: int | None,
    *,
    now: datetime,
    source: str = "worker",
    actor: Actor | None = None,
) -> int | None:
    """Offer ``start`` to the entry if both are still free; return the offer id or None."""
    expiry = offer_expiry(now, start, length=_offer_length(), min_notice=_min_notice())
    if expiry is None:
        return None

    def attempt():
        # Like the booking verbs: mark dead holds and offers first, so the PostgreSQL
        # exclusion constraints never see one as a conflict.
        holds.expire_overdue(now=now, actor=Actor.system())
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            return None
        if db.session.scalar(
            select(WaitlistOffer.id).where(
                WaitlistOffer.entry_id == entry.id, WaitlistOffer.state == OfferState.OPEN
            )
        ):
            return None
        service = entry.service
        option = service.duration(entry.minutes)
        zone = availability.clinic_zone()
        day = start.astimezone(zone).date()
        found = availability.slots_for(
            service, entry.minutes, day, day, now=now, therapist_id=therapist_id
        )
        slot = next((s for s in found.slots if s.start == start), None)
        if slot is None or option is None:
            return None
        window = found.window
        counts = bookings_per_therapist(window.bookings, day, tz=zone, now=now)
        chosen = choose_therapist(slot.therapist_ids, counts, window.positions)
        room_id = choose_room(window.room_ids, window.bookings, slot.start, slot.busy_until, now)
        if room_id is None:
            return None
        held = Booking(
            patient_id=entry.patient_id,
            service_id=service.id,
            therapist_id=chosen,
            room_id=room_id,
            starts_at=slot.start,
            ends_at=slot.end,
            busy_until=slot.busy_until,
            duration_minutes=option.minutes,
            price_pence=option.price_pence,
            status=BookingStatus.OFFERED,
            hold_expires_at=expiry,
            contact_name=entry.contact_name,
            contact_email=entry.contact_email,
            contact_phone=entry.contact_phone,
            created_at=now,
            updated_at=now,
        )
        db.session.add(held)
        db.session.flush()
        offer = WaitlistOffer(
            entry_id=entry.id,
            reservation_id=held.id,
            service_id=service.id,
            therapist_id=chosen,
            starts_at=slot.start,
            ends_at=slot.end,
            minutes=entry.minutes,
            state=OfferState.OPEN,
            source=source,
            offered_at=now,
            expires_at=expiry,
        )
        db.session.add(offer)
        db.session.flush()
        audit.record(
            "waitlist.offered",
            actor=actor or Actor.system(),
            now=now,
            entry=entry.public_id,
            offer=offer.public_id,
            starts_at=slot.start.isoformat(),
        )
        waitlist_mail.queue_offer(offer, now=now)
        return offer.id

    try:
        return run_in_write_transaction(attempt)
    except IntegrityError:  # PostgreSQL: another writer took the time first
        return None
