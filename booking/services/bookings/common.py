"""What the booking verbs share: the request, the policy they apply, "just taken"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from booking.extensions import db
from booking.intake import ScreenAnswers
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Service,
)
from booking.policy import ClinicPolicy
from booking.scheduling import Slot
from booking.scheduling import hold_expiry as compute_hold_expiry
from booking.services import (
    availability,
    clearance_window,
    manage_links,
)
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import (
    reading,
)

ACTIVE = (BookingStatus.HELD, BookingStatus.CONFIRMED)
TAKEN_MESSAGE = "Sorry, that time was just taken by someone else. Here are the nearest free times."
UNKNOWN_MESSAGE = (
    "We could not confirm your booking. Try again: you will not be booked twice, and if it "
    "went through we will show it to you."
)


@dataclass(frozen=True)
class BookingRequest:
    """What a patient (or reception) asked for; already validated and normalised."""

    service_id: int
    minutes: int
    start: datetime
    name: str
    email: str
    phone: str
    therapist_id: int | None = None
    note: str = ""
    over_18: bool = True
    form_key: str | None = None
    source: BookingSource = BookingSource.ONLINE
    # The pain screen's answers. Required for online bookings: the verb itself decides
    # hold or not from them, so no caller can skip or soften the screen.
    screen: ScreenAnswers | None = None
    # Staff only: book outside hours, notice, horizon or grid, for a named therapist,
    # with the reason recorded. Conflicts with other bookings are still refused.
    override_reason: str = ""
    # Count the screen's outcome (the anonymous daily tally) with the booking, in its
    # transaction; the web flow counts at the screen step instead.
    count_screen: bool = False
    # Reception only: book a service the patient's clearance restrictions rule out, with the
    # reason recorded. The booking is then held for a new clearance.
    restriction_override_reason: str = ""
    # A waitlist offer's reservation this booking claims: consumed in the same transaction
    # (the claim loses, as "taken", if the offer ended or someone else claimed it first).
    reservation_id: int | None = None
    # Reception booking a waiting caller: the waitlist entry this booking fulfils, ended in
    # the same transaction (with any offer it still has open), so the answer is the truth.
    waitlist_entry_id: int | None = None


class TherapistRef(NamedTuple):
    slug: str
    name: str


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    # The manage link's token, known only at creation; None when a resubmission returned
    # the booking an earlier submit with the same form key had made.
    manage_token: str | None
    created: bool
    # The booking's therapist as the re-check read them, so an answer needs no query of its
    # own after the commit; None when not read (a replay: use ``booking.therapist``).
    therapist: TherapistRef | None = None


def find_by_token(token: str) -> Booking | None:
    """Return the booking a live manage token opens, or None for any miss."""
    return manage_links.find_booking(token)


def find_by_form_key(form_key: str) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.form_key == form_key))


def policy_snapshot(policy: ClinicPolicy | None = None) -> dict:
    """The cut-offs a booking keeps for life, from ``policy`` (default: the one in force)."""
    policy = policy or current_policy()
    return {
        "cancel_cutoff_hours": policy.cancel_cutoff_hours,
        "reschedule_cutoff_hours": policy.reschedule_cutoff_hours,
    }


def hold_expiry_for(
    booked_at: datetime, start: datetime, *, policy: ClinicPolicy | None = None
) -> datetime:
    policy = policy or current_policy()
    return compute_hold_expiry(
        booked_at,
        start,
        max_after_booking=policy.hold_max_after_booking,
        before_start=policy.hold_before_start,
    )


def _local_day(instant: datetime, policy: ClinicPolicy | None = None) -> date:
    return instant.astimezone((policy or current_policy()).zone).date()


def nearest_alternatives(
    service: Service,
    minutes: int,
    wanted: datetime,
    *,
    now: datetime,
    therapist_id: int | None,
    earliest_start: datetime | None,
    limit: int = 5,
    policy: ClinicPolicy | None = None,
) -> list[Slot]:
    """Return up to ``limit`` free starts closest to ``wanted`` (same week, either side)."""
    policy = policy or current_policy()
    day = _local_day(wanted, policy)
    first = max(day - timedelta(days=3), _local_day(now, policy))
    found = availability.slots_for(
        service,
        minutes,
        first,
        day + timedelta(days=7),
        now=now,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
        policy=policy,
    ).slots
    return sorted(found, key=lambda s: (abs(s.start - wanted), s.start))[:limit]


def _taken(
    service_id: int,
    minutes: int,
    start: datetime,
    seen: list,
    *,
    now: datetime,
    therapist_id: int | None,
    lost_to_overlap: bool = False,
    policy: ClinicPolicy | None = None,
    by_staff: bool = False,
    overridden: bool = False,
) -> BookingError:
    """The "just taken" refusal, with the nearest free times the re-check's window shows.

    ``seen`` holds the last re-check read (or None) and the hold bound it applied. A held
    booking refused for starting too soon to get cleared says so instead (to reception
    without asking them to call the clinic); an override ignores that bound, so its
    refusals never blame it.
    """
    check, earliest = seen[-1] if seen else (None, None)
    alternatives = check.alternatives(lost_to_overlap=lost_to_overlap) if check is not None else []
    if not alternatives:
        # Nothing else free that day (or no re-check was read): look wider, in a read of
        # its own, so the loser of a race never holds the write lock while it looks.
        with reading():
            alternatives = nearest_alternatives(
                db.session.get(Service, service_id),
                minutes,
                start,
                now=now,
                therapist_id=therapist_id,
                earliest_start=earliest,
                policy=policy,
            )
    message = TAKEN_MESSAGE
    if earliest is not None and start < earliest and not overridden:
        message = _too_soon_to_clear(
            now, policy or current_policy(), by_staff=by_staff, offered=bool(alternatives)
        )
    return BookingError("taken", message, field="start", alternatives=alternatives)


def _too_soon_to_clear(
    now: datetime, policy: ClinicPolicy, *, by_staff: bool, offered: bool
) -> str:
    """Why a held booking's start was refused: its deadline would leave no working day."""
    reopens = clearance_window.holds_open_from(now, policy=policy)
    nearest = " Here are the nearest times that do." if offered else ""
    if reopens is None and by_staff:
        return (
            "That time is too soon to hold for medical clearance: it must leave the patient a "
            f"working day to hear from their doctor or physiotherapist.{nearest}"
        )
    if reopens is None:
        return (
            "That time is too soon for us to hold for your medical clearance: it must leave "
            f"you a working day to hear from your doctor or physiotherapist.{nearest}"
        )
    if by_staff:
        when = (
            "with these settings"
            if reopens is clearance_window.NEVER
            else "until " + reopens.astimezone(policy.zone).strftime("%A %-d %B at %H:%M")
        )
        return (
            f"No time can be held for medical clearance {when}: a hold made now would run out "
            "before the next working day. To book one anyway, override the booking rules."
        )
    phone = current_app.config["CLINIC_PHONE"]
    if reopens is clearance_window.NEVER:
        return (
            "We can't hold a time for your medical clearance online. "
            f"Please call us on {phone} and we'll find a time with you."
        )
    when = reopens.astimezone(policy.zone).strftime("%A %-d %B at %H:%M")
    return (
        f"We can't hold a time for your medical clearance online until {when}: a time held "
        "now would run out before a working day on which to hear from your doctor or "
        f"physiotherapist. Please try again then, or call us on {phone}."
    )


def _consume_reservation(reservation_id: int | None, now: datetime, actor: Actor):
    """Claim a waitlist offer's reservation in this transaction, or lose as "taken"."""
    if reservation_id is None:
        return None
    from booking.services import reservations

    offer = reservations.consume(reservation_id, now=now, actor=actor)
    if offer is None:
        raise _TakenSignal
    return offer


class _TakenSignal(Exception):
    """Internal: leave the write transaction (rolling back) before computing alternatives."""
