"""Changing a booking: what the patient may still do, ``reschedule`` and ``cancel``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import (
    ActorKind,
    Booking,
    BookingStatus,
)
from booking.policy import ClinicPolicy
from booking.scheduling import bookings_per_therapist, choose_room, choose_therapist, moves
from booking.services import (
    availability,
    holds,
    reasons,
    recheck,
    transitions,
)
from booking.services.audit import Actor
from booking.services.bookings.common import (
    ACTIVE,
    _consume_reservation,
    _local_day,
    _taken,
    _TakenSignal,
    hold_expiry_for,
    policy_snapshot,
)
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import (
    run_in_write_transaction,
)


@dataclass(frozen=True)
class ChangeRules:
    """What the patient may still do with a booking themselves, and why not."""

    can_cancel: bool
    can_reschedule: bool
    reason: str | None  # "finished" | "cutoff" | None


def change_rules(
    booking: Booking, now: datetime, *, policy: ClinicPolicy | None = None
) -> ChangeRules:
    """Return whether the patient may cancel or reschedule ``booking`` at ``now``.

    Cut-offs come from the policy in force when it was booked. Inside them the page says
    "please call us"; reception can still act.
    """
    live = booking.status in ACTIVE and booking.starts_at > now
    if booking.status is BookingStatus.HELD and not booking.blocks_at(now):
        live = False
    if not live:
        return ChangeRules(False, False, "finished")
    snapshot = booking.policy_snapshot or policy_snapshot(policy)
    to_start = booking.starts_at - now
    can_cancel = to_start >= timedelta(hours=snapshot["cancel_cutoff_hours"])
    can_move = to_start >= timedelta(hours=snapshot["reschedule_cutoff_hours"])
    # A held booking may always be cancelled: holds carry no fees (DOMAIN.md section 2).
    if booking.status is BookingStatus.HELD:
        can_cancel = True
    return ChangeRules(can_cancel, can_move, None if (can_cancel and can_move) else "cutoff")


def reschedule(
    booking_id: int,
    new_start: datetime,
    *,
    actor: Actor,
    now: datetime,
    enforce_cutoff: bool = True,
    therapist_id: int | None = None,
    override_reason: str = "",
    notify: bool = True,
    reservation_id: int | None = None,
    policy: ClinicPolicy | None = None,
) -> Booking:
    """Move a booking to ``new_start`` (same service and length) if that time is free.

    The old time is freed only if the new one is taken: one UPDATE in one transaction.
    Keeps the therapist when they are free then, else assigns one fairly. A held booking
    stays held (its expiry follows the new start). Staff may name the therapist, override
    the rules with a reason (conflicts still refused) and choose not to notify the patient.
    Raises BookingError("not_active" | "cutoff" | "same_time" | "taken").
    """
    policy = policy or current_policy()
    override = bool(override_reason.strip())
    wanted_therapist = therapist_id
    if override and therapist_id is None:
        raise BookingError(
            "override_not_allowed",
            "Choose the therapist to override the rules for.",
            field="therapist",
        )
    if override:
        reasons.check_reason(override_reason, field="override_reason")
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    rules = change_rules(booking, now, policy=policy)
    if rules.reason == "finished":
        raise BookingError("not_active", "This booking can no longer be changed.")
    if enforce_cutoff and not rules.can_reschedule:
        raise BookingError(
            "cutoff", "It is too close to your appointment to change it online; please call us."
        )
    new_start = new_start.astimezone(now.tzinfo)
    if new_start == booking.starts_at:
        raise BookingError("same_time", "That is already the time of your booking.", field="start")
    service = booking.service
    minutes = booking.duration_minutes
    held = booking.status is BookingStatus.HELD
    earliest = availability.hold_start_bound(now, policy=policy) if held else None
    old_start = booking.starts_at
    service_id = service.id
    # The last re-check read, and the hold bound: a refusal's alternatives.
    seen: list[tuple[recheck.Recheck | None, datetime | None]] = [(None, earliest)]

    def attempt():
        # Lock the row (PostgreSQL; SQLite's writer lock already serialises): two moves of
        # one booking are decided in turn, and the second sees where the first put it.
        booking = db.session.scalars(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if booking is None:
            raise BookingError("not_found", "We couldn't find that booking.")
        holds.expire_overdue(now=now, actor=Actor.system())
        offer = _consume_reservation(reservation_id, now, actor)
        db.session.refresh(booking)
        transitions.check(booking, moves.RESCHEDULE, now=now)
        if booking.starts_at == new_start and wanted_therapist in (None, booking.therapist_id):
            raise BookingError(
                "same_time", "That is already the time of your booking.", field="start"
            )
        check = recheck.at(
            service.id,
            service.buffer_minutes,
            minutes,
            new_start,
            now=now,
            therapist_id=wanted_therapist,
            earliest_start=None if override else earliest,
            exclude_booking_id=booking.id,
            override=override,
            policy=policy,
        )
        seen[:] = [(check, earliest)]
        slot, window = check.slot, check.window
        if slot is None:
            raise _TakenSignal
        if booking.therapist_id in slot.therapist_ids:
            chosen = booking.therapist_id
        else:
            counts = bookings_per_therapist(
                window.bookings, _local_day(new_start, policy), tz=policy.zone, now=now
            )
            chosen = choose_therapist(slot.therapist_ids, counts, window.positions)
        rooms = [booking.room_id, *[r for r in window.room_ids if r != booking.room_id]]
        room_id = choose_room(rooms, window.bookings, slot.start, slot.busy_until, now)
        if room_id is None:
            raise _TakenSignal
        values = {
            "starts_at": slot.start,
            "ends_at": slot.end,
            "busy_until": slot.busy_until,
            "therapist_id": chosen,
            "room_id": room_id,
        }
        if held:
            values["hold_expires_at"] = _moved_hold_expiry(booking, slot.start, policy=policy)
        if offer is not None:
            offer.booking_id = booking.id
        # Compare-and-set: only a booking still in the state we checked is moved; the old
        # time is what comes free.
        transitions.apply(
            booking,
            moves.RESCHEDULE,
            actor=actor,
            now=now,
            values=values,
            notify=notify,
            freed_from={
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "therapist_id": booking.therapist_id,
            },
            old_start=old_start.isoformat(),
            new_start=slot.start.isoformat(),
            notified=notify,
            **({"override_reason": override_reason[:200]} if override else {}),
        )
        return booking

    try:
        run_in_write_transaction(attempt)
    except (_TakenSignal, IntegrityError) as refused:
        raise _taken(
            service_id,
            minutes,
            new_start,
            seen,
            now=now,
            therapist_id=None,
            lost_to_overlap=isinstance(refused, IntegrityError),
            policy=policy,
            by_staff=actor.kind is ActorKind.STAFF,
            overridden=override,
        ) from None
    db.session.refresh(booking)
    return booking


def cancel(
    booking_id: int,
    *,
    actor: Actor,
    now: datetime,
    enforce_cutoff: bool = True,
    notify: bool = True,
    policy: ClinicPolicy | None = None,
) -> Booking:
    """Cancel a held or confirmed booking, freeing its time at once.

    Raises BookingError("not_active" | "cutoff").
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    rules = change_rules(booking, now, policy=policy)
    if rules.reason == "finished":
        raise BookingError("not_active", "This booking is no longer active.")
    if enforce_cutoff and not rules.can_cancel:
        raise BookingError(
            "cutoff", "It is too close to your appointment to cancel online; please call us."
        )

    def attempt() -> None:
        # Locked, so a clearance committing meanwhile is seen and the cancel applies to it.
        current = db.session.get(Booking, booking_id, populate_existing=True, with_for_update=True)
        transitions.apply(
            current, moves.CANCEL, actor=actor, now=now, notify=notify, notified=notify
        )

    run_in_write_transaction(attempt)
    db.session.refresh(booking)
    return booking


def _moved_hold_expiry(booking: Booking, new_start: datetime, *, policy: ClinicPolicy) -> datetime:
    """A moved hold's expiry: as when it was booked, but for the new start.

    A course's session held until shortly before its own start (the patient's clearance
    runs out before it, see ``courses.cover``) keeps that rule at its new time.
    """
    before = timedelta(hours=policy.hold_hours_before_start)
    if booking.course_id is not None and booking.hold_expires_at == booking.starts_at - before:
        return new_start - before
    return hold_expiry_for(booking.created_at, new_start, policy=policy)
