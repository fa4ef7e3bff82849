"""Joining and leaving the waitlist; the entry's own links (stored only as hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from booking.extensions import db
from booking.intake import ScreenAnswers
from booking.models import (
    BookingSource,
    OfferState,
    Service,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from booking.notify import waitlist_mail
from booking.policy import ClinicPolicy
from booking.services import audit, availability, patients, reservations
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction
from booking.tokens import looks_like_token, new_token, token_hash
from booking.waitlist import DAY_PARTS


@dataclass(frozen=True)
class JoinRequest:
    """A wish, already validated and normalised like a booking request's details."""

    service_id: int
    minutes: int
    first_day: date
    last_day: date
    name: str
    email: str
    phone: str
    screen: ScreenAnswers | None
    therapist_id: int | None = None
    weekdays: tuple[int, ...] = ()
    day_parts: tuple[str, ...] = ()
    over_18: bool = True
    booking_id: int | None = None  # a booking the patient would move earlier
    source: BookingSource = BookingSource.ONLINE
    form_key: str | None = None  # an API idempotency key: one entry per key


def mint(entry: WaitlistEntry, *, now: datetime) -> str:
    token = new_token()
    db.session.add(WaitlistToken(entry_id=entry.id, token_hash=token_hash(token), created_at=now))
    return token


def find_by_token(token: str, *, now: datetime) -> WaitlistEntry | None:
    """Return the live entry a link opens, or None for any miss (unknown, revoked, ended)."""
    if not looks_like_token(token):
        return None
    entry = db.session.scalar(
        select(WaitlistEntry)
        .join(WaitlistToken, WaitlistToken.entry_id == WaitlistEntry.id)
        .where(WaitlistToken.token_hash == token_hash(token), WaitlistToken.revoked_at.is_(None))
    )
    if entry is None or entry.ended_at is not None or _range_over(entry, now):
        return None
    return entry


def _range_over(entry: WaitlistEntry, now: datetime) -> bool:
    return entry.last_day < now.astimezone(availability.clinic_zone()).date()


def open_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    return db.session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.state == OfferState.OPEN
        )
    )


def range_problem(
    first_day: date, last_day: date, *, now: datetime, policy: ClinicPolicy | None = None
) -> tuple[str, str] | None:
    """Say which day of a wish is wrong, and why: ``(field, message)``, or None when the
    range runs from today or later to the horizon at most, the first day before the last.

    The one rule for every way of joining (the web form, the API) and of changing a wish.
    """
    policy = policy or current_policy()
    today = now.astimezone(policy.zone).date()
    horizon = today + timedelta(days=policy.horizon_days)
    message = f"Please choose dates from today to {horizon:%-d %B %Y}, the first before the last."
    if first_day < today:
        return "first_day", message
    if last_day < first_day or last_day > horizon:
        return "last_day", message
    return None


def check_wish(
    request: JoinRequest, now: datetime, *, policy: ClinicPolicy | None = None
) -> Service:
    service = db.session.get(Service, request.service_id)
    if service is None or not service.active:
        raise BookingError("unknown_service", "That treatment is not available.", field="service")
    if service.duration(request.minutes) is None:
        raise BookingError(
            "unknown_duration", "That length is not offered for this treatment.", field="minutes"
        )
    if problem := range_problem(request.first_day, request.last_day, now=now, policy=policy):
        field, message = problem
        raise BookingError("bad_range", message, field=field)
    if any(not 0 <= d <= 6 for d in request.weekdays):
        raise BookingError("bad_weekdays", "Please choose days of the week.", field="weekdays")
    if any(p not in DAY_PARTS for p in request.day_parts):
        raise BookingError("bad_day_parts", "Please choose times of day.", field="day_parts")
    return service


def join(
    request: JoinRequest, *, actor: Actor, now: datetime, policy: ClinicPolicy | None = None
) -> tuple[WaitlistEntry, str]:
    """Put a wish on the waitlist; return the entry and its link's token.

    The pain screen is assessed by the booking verb's own rules: answers that would book
    nothing refuse joining too, and answers that would hold the booking mark the entry so
    it is only offered times that leave the day needed to get cleared.
    """
    from booking.services import bookings

    policy = policy or current_policy()
    service = check_wish(request, now, policy=policy)
    probe = bookings.BookingRequest(
        service_id=service.id,
        minutes=request.minutes,
        start=now,
        name=request.name,
        email=request.email,
        phone=request.phone,
        screen=request.screen,
        source=request.source,
    )
    # The booking flow's screen
    assessment, covered_by = bookings._assess(probe, service, now, policy=policy)
    needs_clearance = assessment is not None and assessment.needs_clearance and covered_by is None
    cap = policy.waitlist_max_entries_per_email

    def attempt():
        waiting = db.session.scalar(
            select(func.count(WaitlistEntry.id)).where(
                WaitlistEntry.contact_email == request.email, WaitlistEntry.ended_at.is_(None)
            )
        )
        if waiting >= cap:
            raise BookingError(
                "waitlist_cap",
                f"You are already waiting for {cap} times; please leave one before adding another.",
            )
        patient = patients.find_or_create(
            name=request.name, email=request.email, phone=request.phone, now=now
        )
        entry = WaitlistEntry(
            patient=patient,
            service_id=service.id,
            minutes=request.minutes,
            therapist_id=request.therapist_id,
            first_day=request.first_day,
            last_day=request.last_day,
            weekdays=sorted(set(request.weekdays)),
            day_parts=sorted(set(request.day_parts)),
            booking_id=request.booking_id,
            contact_name=request.name,
            contact_email=request.email,
            contact_phone=request.phone,
            over_18=request.over_18,
            screen_answers=request.screen.to_data() if request.screen else None,
            screened_at=now if request.screen else None,
            needs_clearance=needs_clearance,
            form_key=request.form_key,
            joined_at=now,
            updated_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        token = mint(entry, now=now)
        audit.record("waitlist.joined", actor=actor, now=now, entry=entry.public_id)
        waitlist_mail.queue_joined(entry, now=now)
        return entry, token

    return run_in_write_transaction(attempt)


def leave(entry_id: int, *, actor: Actor, now: datetime, reason: str = "left") -> None:
    """End an entry (and any offer it has open, giving the time back)."""

    def attempt():
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        if entry is None or entry.ended_at is not None:
            return
        offer = open_offer(entry)
        if offer is not None:
            reservations.end_offer(offer, OfferState.WITHDRAWN, now=now)
        entry.ended_at = now
        entry.end_reason = reason[:200]
        entry.updated_at = now
        audit.record("waitlist.left", actor=actor, now=now, entry=entry.public_id, reason=reason)

    run_in_write_transaction(attempt)
