"""Placing one booking: the rules a request must pass, and the insert after its re-check.

``book`` places one booking in its transaction; ``services.courses`` places every session of
a course in one. Both decide the screen and the clearance once (:func:`decide`) and then
:func:`place` each start: re-check, choose therapist and room, insert the booking, its
intake and its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from booking import deferred
from booking.extensions import db
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Intake,
    Service,
    Therapist,
)
from booking.policy import ClinicPolicy
from booking.scheduling import bookings_per_therapist, choose_room, choose_therapist
from booking.services import audit, availability, patients, reasons, recheck, screening
from booking.services.audit import Actor
from booking.services.bookings.checks import _restriction_override, _screen
from booking.services.bookings.common import (
    BookingRequest,
    TherapistRef,
    _local_day,
    _TakenSignal,
    hold_expiry_for,
    policy_snapshot,
)
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError

if TYPE_CHECKING:
    from booking.services.bookings.making import _Facts


@dataclass(frozen=True)
class Decision:
    """What the screen and the patient's clearances decide before any time is checked."""

    assessment: Any  # the screen's Assessment, or None (a staff booking without a screen)
    # The valid clearance that covers today's answers, and until when it is valid.
    covered_by: int | None
    covered_until: datetime | None
    restricted: bool  # reception booked past the clearance's restrictions: always held

    def holds(self, start: datetime) -> bool:
        """Say whether a booking starting at ``start`` waits for a clearance.

        A clearance covers what starts before its ``valid_until``; a session after it
        needs a new one.
        """
        if self.restricted:
            return True
        if self.assessment is None or not self.assessment.needs_clearance:
            return False
        return self.covered_by is None or (
            self.covered_until is not None and start >= self.covered_until
        )

    def covering(self, start: datetime) -> int | None:
        """The clearance that covers a booking starting at ``start``, if any."""
        if self.restricted or self.covered_by is None:
            return None
        if self.covered_until is not None and start >= self.covered_until:
            return None
        return self.covered_by


@dataclass(frozen=True)
class Placed:
    booking: Booking
    therapist: TherapistRef
    held: bool

    @property
    def therapist_name(self) -> str:
        return self.therapist.name


def checked_service(request: BookingRequest):
    """The service and length ``request`` names, and the request's own rules; or refuse."""
    service = load_service(request.service_id)
    if service is None or not service.active:
        raise BookingError("unknown_service", "That treatment is not available.", field="service")
    option = service.duration(request.minutes)
    if option is None:
        raise BookingError(
            "unknown_duration",
            "That length is not offered for this treatment.",
            field="minutes",
        )
    if not request.email and request.source is not BookingSource.RECEPTION:
        raise BookingError("email_required", "Please give your email address.", field="email")
    override = bool(request.override_reason.strip())
    if override and (request.source is not BookingSource.RECEPTION or not request.therapist_id):
        raise BookingError(
            "override_not_allowed",
            "Only reception can override the booking rules, for a named therapist.",
            field="override_reason",
        )
    if override:
        reasons.check_reason(request.override_reason, field="override_reason")
    return service, option


def decide(
    request: BookingRequest,
    service: Service,
    facts: _Facts,
    now: datetime,
    *,
    policy: ClinicPolicy | None = None,
) -> Decision:
    """Run the screen and apply the patient's clearances (see :class:`Decision`)."""
    # Without a valid clearance nothing binds or covers: both look-ups are skipped.
    cleared = facts.cleared
    assessment, clearance = _screen(request, service, now, cleared=cleared, policy=policy)
    restricted = cleared and _restriction_override(request, service, now)
    if restricted or clearance is None:
        return Decision(assessment, None, None, restricted)
    return Decision(assessment, clearance.id, clearance.valid_until, False)


def place(
    request: BookingRequest,
    service: Service,
    option,
    decision: Decision,
    facts: _Facts,
    start: datetime,
    *,
    actor: Actor,
    now: datetime,
    seen: list,
    rules=None,
    course_id: int | None = None,
    session: int | None = None,
    hold_expires_at: datetime | None = None,
    policy: ClinicPolicy | None = None,
    with_commit: bool = False,
) -> Placed:
    """Re-check ``start`` and insert the booking, its intake and its audit row.

    Raises _TakenSignal when the start is no longer free. ``rules`` replaces the clinic's
    policy for the re-check (a course's later sessions lie past the horizon); a course's
    session gets ``course_id`` and ``session``, and may be given its own hold expiry.
    ``with_commit``: the intake and the audit row are written with the commit
    (``booking.deferred``), for a caller that never reads them back.
    """
    policy = policy or current_policy()
    override = bool(request.override_reason.strip())
    hold = decision.holds(start)
    earliest = availability.hold_start_bound(now, policy=policy) if hold else None
    seen.append((None, earliest))
    check = recheck.at(
        service.id,
        service.buffer_minutes,
        request.minutes,
        start,
        now=now,
        therapist_id=request.therapist_id,
        earliest_start=earliest,
        override=override,
        rules=rules,
        policy=policy,
    )
    seen[-1] = (check, earliest)
    slot, window = check.slot, check.window
    if slot is None:
        raise _TakenSignal
    if request.therapist_id is not None:
        therapist_id = request.therapist_id
    else:
        counts = bookings_per_therapist(
            window.bookings, _local_day(start, policy), tz=policy.zone, now=now
        )
        therapist_id = choose_therapist(slot.therapist_ids, counts, window.positions)
    room_id = choose_room(window.room_ids, window.bookings, slot.start, slot.busy_until, now)
    if room_id is None:  # the re-check already promised a room; belt and braces
        raise _TakenSignal
    patient_id = facts.patient_id
    if patient_id is None:
        patient_id = patients.create(
            name=request.name, email=request.email, phone=request.phone, now=now
        ).id
    booking = Booking(
        patient_id=patient_id,
        service_id=service.id,
        therapist_id=therapist_id,
        room_id=room_id,
        starts_at=slot.start,
        ends_at=slot.end,
        busy_until=slot.busy_until,
        duration_minutes=option.minutes,
        price_pence=option.price_pence,
        status=BookingStatus.HELD if hold else BookingStatus.CONFIRMED,
        hold_expires_at=(hold_expires_at or hold_expiry_for(now, slot.start, policy=policy))
        if hold
        else None,
        confirmed_at=None if hold else now,
        source=request.source,
        policy_snapshot=policy_snapshot(policy),
        ics_sequence=0,
        form_key=request.form_key,
        contact_name=request.name,
        contact_email=request.email,
        contact_phone=request.phone,
        patient_note=request.note,
        over_18=request.over_18,
        course_id=course_id,
        course_session=session,
        created_at=now,
        updated_at=now,
    )
    db.session.add(booking)
    db.session.flush()
    assessment = decision.assessment
    if assessment is not None:
        intake = {
            "booking_id": booking.id,
            "answers": request.screen.to_data(),
            "outcome": assessment.outcome.value,
            "rule_codes": list(assessment.codes),
            "flags": sorted(assessment.flags),
            "no_deep_pressure": assessment.no_deep_pressure,
            "consent_version": screening.CONSENT_VERSION,
            "consented_at": now,
            "covered_by_clearance_id": decision.covering(slot.start),
            "created_at": now,
        }
        if with_commit:
            deferred.insert_row(Intake.__table__, {**intake, "purged_at": None})
        else:
            db.session.add(Intake(**intake))
    record = audit.record_with_commit if with_commit else audit.record
    record(
        "booking.held" if hold else "booking.created",
        actor=actor,
        now=now,
        booking=booking,
        source=str(request.source),
        starts_at=slot.start.isoformat(),
        **({"override_reason": request.override_reason[:200]} if override else {}),
        **(
            {"restriction_override_reason": request.restriction_override_reason[:200]}
            if decision.restricted
            else {}
        ),
        **({"course_session": session} if session is not None else {}),
    )
    return Placed(booking, _therapist_ref(window, therapist_id), hold)


def count_screen(
    request: BookingRequest,
    decision: Decision,
    now: datetime,
    *,
    policy: ClinicPolicy | None = None,
    with_commit: bool = False,
) -> None:
    if request.count_screen and decision.assessment is not None:
        # Last: the day's counter is one row every booking that day updates, and its
        # lock is held from here to the commit.
        screening.count_outcome(
            decision.assessment.outcome, now=now, policy=policy, with_commit=with_commit
        )


# Built once: constructing and keying an ORM statement costs as much as running it.
_SERVICE = (
    select(Service)
    .where(Service.id == bindparam("service_id"))
    .options(joinedload(Service.durations))
    .execution_options(populate_existing=True)
)


def load_service(service_id: int) -> Service | None:
    """The service and its lengths: from the session when this transaction loaded them
    already (the request was checked against them), else in one statement."""
    known = db.session.identity_map.get(identity_key(Service, service_id))
    if known is not None:
        state = inspect(known)
        if not state.expired_attributes and "durations" not in state.unloaded:
            return known
    found = db.session.execute(_SERVICE, {"service_id": service_id})
    return found.unique().scalar_one_or_none()


def _therapist_ref(window, therapist_id: int) -> TherapistRef:
    name = window.names.get(therapist_id)
    if name is None:  # an override for a therapist without hours that day
        row = db.session.execute(
            select(Therapist.slug, Therapist.name).where(Therapist.id == therapist_id)
        ).one()
        return TherapistRef(row.slug, row.name)
    return TherapistRef(window.slugs[therapist_id], name)
