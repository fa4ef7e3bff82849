"""Making a booking: ``book``, and a new manage link for a replayed submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Intake,
    MessageKind,
    Service,
    Therapist,
)
from booking.notify import outbox
from booking.scheduling import bookings_per_therapist, choose_room, choose_therapist
from booking.services import (
    audit,
    availability,
    holds,
    manage_links,
    patients,
    reasons,
    recheck,
    screening,
)
from booking.services.audit import Actor
from booking.services.bookings.checks import (
    _assess,
    _cap_counts,
    _refuse_hold_squatting,
    _restriction_override,
)
from booking.services.bookings.common import (
    UNKNOWN_MESSAGE,
    BookingRequest,
    BookingResult,
    _consume_reservation,
    _local_day,
    _taken,
    _TakenSignal,
    find_by_form_key,
    hold_expiry_for,
    policy_snapshot,
)
from booking.services.errors import BookingError
from booking.services.locking import (
    OutcomeUnknown,
    run_in_write_transaction,
    write_transaction,
)


def reissue_link(booking_id: int, *, now: datetime) -> str:
    """Mint and commit a new manage link for a booking a replayed submission proved is its own.

    The first link was shown once and is stored only as a hash; the browser that retried
    (same form key) gets a working one of its own. The old links keep working.
    """
    with write_transaction():
        return manage_links.mint(_BookingId(booking_id), now=now)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _BookingId:
    id: int


def book(request: BookingRequest, *, actor: Actor, now: datetime) -> BookingResult:
    """Book ``request`` if its start is still free; return the booking and its manage token.

    Idempotent on ``form_key``: a second submit of the same form returns the first booking.
    Raises BookingError("unknown_service" | "unknown_duration" | "taken" | ...).

    Everything is decided inside one write transaction, in few statements: one reads the
    small facts (a replayed form key, the patient, the online caps, whether any hold ran
    out), one the service, one the re-check's window; then the inserts.
    """
    override = bool(request.override_reason.strip())
    start = request.start.astimezone(now.tzinfo)
    # The last re-check read, and the hold bound it used: a refusal's alternatives.
    seen: list[tuple[recheck.Recheck | None, datetime | None]] = []

    def attempt() -> BookingResult:
        seen.clear()
        facts = _facts(request, now)
        if facts.replay_id is not None:
            return BookingResult(db.session.get(Booking, facts.replay_id), None, created=False)
        service = _load_service(request.service_id)
        if service is None or not service.active:
            raise BookingError(
                "unknown_service", "That treatment is not available.", field="service"
            )
        option = service.duration(request.minutes)
        if option is None:
            raise BookingError(
                "unknown_duration",
                "That length is not offered for this treatment.",
                field="minutes",
            )
        if not request.email and request.source is not BookingSource.RECEPTION:
            raise BookingError("email_required", "Please give your email address.", field="email")
        if override and (request.source is not BookingSource.RECEPTION or not request.therapist_id):
            raise BookingError(
                "override_not_allowed",
                "Only reception can override the booking rules, for a named therapist.",
                field="override_reason",
            )
        if override:
            reasons.check_reason(request.override_reason, field="override_reason")
        # Without a valid clearance nothing binds or covers: both look-ups are skipped.
        cleared = facts.cleared
        assessment, covered_by = _assess(request, service, now, cleared=cleared)
        restricted = cleared and _restriction_override(request, service, now)
        hold = restricted or (
            assessment is not None and assessment.needs_clearance and covered_by is None
        )
        if restricted:
            covered_by = None
        earliest = availability.hold_start_bound(now) if hold else None
        seen.append((None, earliest))
        if request.source is BookingSource.ONLINE:
            _refuse_hold_squatting(facts, hold=hold)
        holds.expire_overdue(now=now, actor=Actor.system(), known_overdue=facts.overdue)
        offer = _consume_reservation(request.reservation_id, now, actor)
        check = recheck.at(
            service.id,
            service.buffer_minutes,
            request.minutes,
            start,
            now=now,
            therapist_id=request.therapist_id,
            earliest_start=earliest,
            override=override,
        )
        seen[-1] = (check, earliest)
        slot, window = check.slot, check.window
        if slot is None:
            raise _TakenSignal
        if request.therapist_id is not None:
            therapist_id = request.therapist_id
        else:
            zone = availability.clinic_zone()
            counts = bookings_per_therapist(window.bookings, _local_day(start), tz=zone, now=now)
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
            hold_expires_at=hold_expiry_for(now, slot.start) if hold else None,
            confirmed_at=None if hold else now,
            source=request.source,
            policy_snapshot=policy_snapshot(),
            ics_sequence=0,
            form_key=request.form_key,
            contact_name=request.name,
            contact_email=request.email,
            contact_phone=request.phone,
            patient_note=request.note,
            over_18=request.over_18,
            created_at=now,
            updated_at=now,
        )
        db.session.add(booking)
        db.session.flush()
        if offer is not None:
            offer.booking_id = booking.id
        if request.waitlist_entry_id is not None:
            _end_fulfilled_entry(request.waitlist_entry_id, booking, actor=actor, now=now)
        if assessment is not None:
            db.session.add(
                Intake(
                    booking_id=booking.id,
                    answers=request.screen.to_data(),
                    outcome=assessment.outcome.value,
                    rule_codes=list(assessment.codes),
                    flags=sorted(assessment.flags),
                    no_deep_pressure=assessment.no_deep_pressure,
                    consent_version=screening.CONSENT_VERSION,
                    consented_at=now,
                    covered_by_clearance_id=covered_by,
                    created_at=now,
                )
            )
        token = manage_links.mint(booking, now=now)
        outbox.queue_created(
            MessageKind.HELD if hold else MessageKind.BOOKED,
            booking,
            now=now,
            service_name=service.name,
            therapist_name=_therapist_name(window, therapist_id),
        )
        audit.record(
            "booking.held" if hold else "booking.created",
            actor=actor,
            now=now,
            booking=booking,
            source=str(request.source),
            starts_at=slot.start.isoformat(),
            **({"override_reason": request.override_reason[:200]} if override else {}),
            **(
                {"restriction_override_reason": request.restriction_override_reason[:200]}
                if restricted
                else {}
            ),
        )
        if request.count_screen and assessment is not None:
            # Last: the day's counter is one row every booking that day updates, and its
            # lock is held from here to the commit.
            screening.count_outcome(assessment.outcome, now=now)
        return BookingResult(booking, token, created=True)

    try:
        return run_in_write_transaction(attempt)
    except OutcomeUnknown:
        raise OutcomeUnknown(UNKNOWN_MESSAGE) from None
    except (_TakenSignal, IntegrityError) as refused:
        # An IntegrityError: either the same form was submitted twice at once (form_key is
        # unique), or on PostgreSQL an exclusion constraint refused an overlap another
        # writer committed after the re-check read.
        lost = isinstance(refused, IntegrityError)
        if lost and request.form_key and (existing := find_by_form_key(request.form_key)):
            return BookingResult(existing, None, created=False)
        raise _taken(
            request.service_id,
            request.minutes,
            start,
            seen,
            now=now,
            therapist_id=request.therapist_id,
            lost_to_overlap=lost,
        ) from None


@dataclass(frozen=True)
class _Facts:
    """What ``book`` reads in its first statement."""

    replay_id: int | None  # the booking an earlier submit of the same form made
    patient_id: int | None  # the patient with the request's email, if known
    cleared: bool  # that patient has a valid clearance (restrictions may bind them)
    future: int  # online caps: the person's future bookings and live holds
    holds_now: int
    overdue: bool  # some hold or waitlist offer ran out (see holds.expire_overdue)


def _end_fulfilled_entry(entry_id: int, booking: Booking, *, actor: Actor, now: datetime) -> None:
    from booking.services import reservations

    reservations.end_fulfilled(entry_id, booking.public_id, actor=actor, now=now)


def _facts(request: BookingRequest, now: datetime) -> _Facts:
    """Read the small facts the verb needs, in one statement of scalar subqueries."""
    none = literal(None, Integer)
    columns = [
        select(Booking.id).where(Booking.form_key == request.form_key).scalar_subquery()
        if request.form_key
        else none,
        patients.id_for(request.email) if request.email else none,
        screening.any_valid_clearance(request.email, now=now) if request.email else none,
        holds.anything_overdue(now),
    ]
    statement = select(*columns)
    if request.source is BookingSource.ONLINE and request.email:
        caps = _cap_counts(request.email, now)
        statement = statement.add_columns(caps.c.future, caps.c.holds_now).select_from(caps)
    else:
        statement = statement.add_columns(literal(0, Integer), literal(0, Integer))
    replay_id, patient_id, cleared, overdue, future, holds_now = db.session.execute(statement).one()
    return _Facts(replay_id, patient_id, bool(cleared), future or 0, holds_now or 0, bool(overdue))


def _load_service(service_id: int) -> Service | None:
    """The service and its lengths in one statement."""
    return (
        db.session.execute(
            select(Service).where(Service.id == service_id).options(joinedload(Service.durations))
        )
        .unique()
        .scalar_one_or_none()
    )


def _therapist_name(window, therapist_id: int) -> str:
    name = window.names.get(therapist_id)
    if name is None:  # an override for a therapist without hours that day
        name = db.session.scalar(select(Therapist.name).where(Therapist.id == therapist_id))
    return name
