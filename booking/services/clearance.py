"""Medical clearance for held bookings: the only way a hold becomes a confirmed booking.

Every change of a booking is a step of ``booking.scheduling.moves`` applied by
``services.transitions``: a compare-and-set on the booking's status (and, for a live hold,
its expiry) inside a serialised write transaction, so a clearance racing an expiry, a
cancel or another clearance makes exactly one change.

Here the verbs that write: recording a clearance (``attest``), a therapist's decision on
one given with restrictions (``decide``) and reception's one extension of a hold. What a
statement must say and what a clearance binds, read without writing, are in
``services.clearance_rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from booking import registration
from booking.extensions import db
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    Intake,
)
from booking.policy import ClinicPolicy
from booking.scheduling import moves
from booking.services import audit, availability, holds, reasons, transitions
from booking.services.audit import Actor
from booking.services.clearance_rules import (  # noqa: F401 - callers read them from here
    RESTRICTION_TICKS,
    BookingRestrictions,
    ClearanceStatement,
    can_attest,
    conflicts_with_restrictions,
    effective_outcome,
    pending_clearance,
    restrictions_for,
    validate,
)
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction
from booking.services.screening import ATTESTATION_VERSION


@dataclass(frozen=True)
class ClearanceResult:
    booking: Booking
    clearance: Clearance
    # "confirmed", "awaiting_approval" or "released"
    result: str


def attest(
    booking_id: int,
    statement: ClearanceStatement,
    *,
    actor: Actor,
    now: datetime,
    also: Callable[[Booking], None] | None = None,
    policy: ClinicPolicy | None = None,
) -> ClearanceResult:
    """Record a clearance for a held booking and act on it.

    cleared -> confirmed; cleared with restrictions -> stays held for a therapist to
    approve; not cleared -> released at no charge. A hold that has expired is re-reserved
    and confirmed in the same transaction if its time is still free. Raises BookingError
    ("invalid" | "not_held" | "taken" | "not_suitable").

    ``also`` runs inside the same transaction, with the booking row locked and after the
    checks above, before anything is recorded: a caller's own compare-and-set (a
    clinician's link being used up) that stands or falls with the clearance. A refusal it
    raises undoes everything.
    """
    policy = policy or current_policy()
    validate(statement, now=now, policy=policy)
    statement = replace(statement, outcome=effective_outcome(statement))
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")

    def attempt() -> tuple[Clearance, str]:
        holds.expire_overdue(now=now, actor=Actor.system())
        # Lock the booking row (PostgreSQL; SQLite's writer lock already serialises), so
        # two statements for one hold are decided one after the other.
        current = db.session.scalars(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if pending_clearance(booking_id) is not None:
            raise BookingError(
                "not_held", "We already have your clearance; your therapist is checking it."
            )
        live_hold = current.status is BookingStatus.HELD and current.blocks_at(now)
        lapsed = current.status is BookingStatus.EXPIRED and current.starts_at > now
        if not (live_hold or lapsed):
            raise BookingError(
                "not_held",
                "This booking isn't waiting for a clearance any more.",
            )
        if statement.outcome is ClearanceOutcome.CLEARED_WITH_RESTRICTIONS and lapsed:
            raise BookingError(
                "not_held",
                "The time we were holding has been released. Please call us to book again.",
            )
        if statement.outcome is not ClearanceOutcome.NOT_CLEARED and conflicts_with_restrictions(
            current, statement.restriction_ticks
        ):
            raise BookingError(
                "not_suitable",
                f"{current.service.name} uses deep pressure, which your clinician has ruled "
                "out. Please call us to change to a gentler treatment.",
                field="restriction_ticks",
            )
        if also is not None:
            also(current)
        clearance = _record(current, statement, actor=actor, now=now, policy=policy)
        if statement.outcome is ClearanceOutcome.NOT_CLEARED:
            transitions.apply(current, moves.RELEASE, actor=actor, now=now, reason="not_cleared")
            _cover_course(current, clearance, actor=actor, now=now, zone=policy.zone)
            return clearance, "released"
        if statement.outcome is ClearanceOutcome.CLEARED_WITH_RESTRICTIONS:
            clearance.approval = ApprovalState.PENDING
            audit.record(
                "booking.clearance_awaiting_approval", actor=actor, now=now, booking=current
            )
            return clearance, "awaiting_approval"
        if lapsed:
            _reserve_again(current, now=now, zone=policy.zone)
        transitions.apply(
            current,
            moves.CONFIRM,
            actor=actor,
            now=now,
            by="clearance",
            source=statement.source.value,
        )
        _cover_course(current, clearance, actor=actor, now=now, zone=policy.zone)
        return clearance, "confirmed"

    try:
        clearance, result = run_in_write_transaction(attempt)
    except _SlotGone:
        from booking.services.bookings import nearest_alternatives

        raise BookingError(
            "taken",
            "Sorry, the time we were holding has been taken since your hold ran out. "
            "Here are the nearest free times.",
            alternatives=nearest_alternatives(
                booking.service,
                booking.duration_minutes,
                booking.starts_at,
                now=now,
                therapist_id=None,
                earliest_start=None,
                policy=policy,
            ),
        ) from None
    db.session.refresh(booking)
    return ClearanceResult(booking, clearance, result)


class _SlotGone(Exception):
    pass


def _cover_course(
    booking: Booking, clearance: Clearance, *, actor: Actor, now: datetime, zone: ZoneInfo
) -> None:
    """One clearance for the course: settle the other held sessions the same way."""
    if booking.course_id is None:
        return
    from booking.services.courses import cover

    def reserve_again(session: Booking) -> bool:
        try:
            _reserve_again(session, now=now, zone=zone)
        except _SlotGone:
            return False
        return True

    cover.apply_clearance(booking, clearance, actor=actor, now=now, reserve_again=reserve_again)


def _reserve_again(booking: Booking, *, now: datetime, zone: ZoneInfo) -> None:
    """Check an expired hold's own time is still free for its therapist and a room."""
    day = booking.starts_at.astimezone(zone).date()
    window = availability.load_window(
        booking.service_id,
        *availability.utc_window(day, day, zone),
        None,
        booking.id,
    )
    from booking.scheduling import free_rooms, is_blocking

    for busy in window.bookings:
        if (
            busy.therapist_id == booking.therapist_id
            and is_blocking(busy, now)
            and (busy.start < booking.busy_until and booking.starts_at < busy.busy_until)
        ):
            raise _SlotGone
    rooms = free_rooms(
        [booking.room_id, *[r for r in window.room_ids if r != booking.room_id]],
        window.bookings,
        booking.starts_at,
        booking.busy_until,
        now,
    )
    if not rooms:
        raise _SlotGone
    booking.room_id = rooms[0]


def _record(
    booking: Booking,
    statement: ClearanceStatement,
    *,
    actor: Actor,
    now: datetime,
    policy: ClinicPolicy,
) -> Clearance:
    intake = db.session.scalar(select(Intake).where(Intake.booking_id == booking.id))
    valid_days = policy.clearance_valid_days
    clearance = Clearance(
        booking_id=booking.id,
        patient_id=booking.patient_id,
        source=statement.source,
        clinician_name=statement.clinician_name.strip(),
        clinician_kind=statement.clinician_kind,
        consultation_date=statement.consultation_date,
        clinician_registration=(
            registration.clean_registration(statement.clinician_kind.value, statement.registration)
            if statement.source is ClearanceSource.CLINICIAN and statement.clinician_kind
            else ""
        ),
        outcome=statement.outcome,
        restriction_ticks=list(statement.restriction_ticks),
        restrictions=statement.restrictions,
        wording_version=ATTESTATION_VERSION,
        attested_at=now,
        attested_by_staff_id=actor.staff_user_id,
        staff_reason=statement.staff_reason,
        approval=ApprovalState.NOT_NEEDED,
        valid_until=None
        if statement.outcome is ClearanceOutcome.NOT_CLEARED
        else now + timedelta(days=valid_days),
        screen_answers=intake.answers if intake is not None else None,
    )
    db.session.add(clearance)
    db.session.flush()
    audit.record(
        "booking.clearance_recorded",
        actor=actor,
        now=now,
        booking=booking,
        outcome=statement.outcome.value,
        source=statement.source.value,
    )
    return clearance


def decide(
    booking_id: int, *, approve: bool, actor: Actor, now: datetime, reason: str = ""
) -> Booking:
    """A therapist or admin approves or refuses a clearance given with restrictions.

    Approve -> confirmed (refused if the service conflicts with the restrictions);
    refuse -> released at no charge. The decision is a compare-and-set on the clearance
    still being pending: raises BookingError("not_pending") when none is (any more).
    """
    if not approve:
        reason = reasons.check_reason(reason)
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")

    def attempt() -> None:
        current = db.session.get(Booking, booking_id, populate_existing=True)
        clearance = pending_clearance(booking_id)
        if clearance is None:
            raise BookingError("not_pending", "There is no clearance waiting for approval.")
        if approve and conflicts_with_restrictions(current, clearance.restriction_ticks):
            raise BookingError(
                "not_suitable",
                "This service uses deep pressure, which the restrictions rule out; move the "
                "patient to a gentler service first.",
            )
        # Compare-and-set: only a clearance still pending is decided, so of two staff
        # deciding at once exactly one does; the other is told nothing is waiting.
        decided = db.session.execute(
            update(Clearance)
            .where(Clearance.id == clearance.id, Clearance.approval == ApprovalState.PENDING)
            .values(
                approval=ApprovalState.APPROVED if approve else ApprovalState.REFUSED,
                approved_by_staff_id=actor.staff_user_id,
                approved_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if decided != 1:
            raise BookingError("not_pending", "There is no clearance waiting for approval.")
        db.session.expire(clearance)
        if approve:
            transitions.apply(current, moves.CONFIRM, actor=actor, now=now, by="approval")
        else:
            transitions.apply(
                current,
                moves.RELEASE,
                actor=actor,
                now=now,
                reason="clearance_refused",
                note=reason[:200],
            )
        _cover_course(current, clearance, actor=actor, now=now, zone=availability.clinic_zone())

    run_in_write_transaction(attempt)
    db.session.refresh(booking)
    return booking


def extend_hold(
    booking_id: int,
    *,
    reason: str,
    actor: Actor,
    now: datetime,
    policy: ClinicPolicy | None = None,
) -> Booking:
    """Extend a live hold once (default 48 h), never past the appointment's start."""
    reason = reasons.check_reason(reason)
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    hours = (policy or current_policy()).hold_extension_hours

    def attempt() -> None:
        current = db.session.get(Booking, booking_id, populate_existing=True)
        if current.hold_extended:
            raise BookingError("already_extended", "This hold has already been extended once.")
        transitions.check(current, moves.EXTEND_HOLD, now=now)
        new_expiry = min(current.hold_expires_at + timedelta(hours=hours), current.starts_at)
        transitions.apply(
            current,
            moves.EXTEND_HOLD,
            actor=actor,
            now=now,
            values={"hold_expires_at": new_expiry, "hold_extended": True},
            conditions=(Booking.hold_extended.is_(False),),
            reason=reason[:200],
            until=new_expiry.isoformat(),
        )

    run_in_write_transaction(attempt)
    db.session.refresh(booking)
    return booking
