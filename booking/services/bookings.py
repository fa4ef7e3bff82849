"""Booking verbs: book, reschedule, cancel. Each owns its transaction.

Every verb re-checks availability inside a serialised write transaction (see
``services.locking``) and raises ``BookingError`` when it refuses; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from booking import validation
from booking.extensions import db
from booking.intake import ScreenAnswers, assess, patient_message
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Intake,
    MessageKind,
    Patient,
    Service,
    Therapist,
)
from booking.notify import outbox
from booking.scheduling import (
    Slot,
    bookings_per_therapist,
    choose_room,
    choose_therapist,
    moves,
)
from booking.scheduling import hold_expiry as compute_hold_expiry
from booking.services import (
    audit,
    availability,
    holds,
    manage_links,
    patients,
    reasons,
    recheck,
    screening,
    transitions,
)
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import (
    OutcomeUnknown,
    reading,
    run_in_write_transaction,
    write_transaction,
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


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    # The manage link's token, known only at creation; None when a resubmission returned
    # the booking an earlier submit with the same form key had made.
    manage_token: str | None
    created: bool


def find_by_token(token: str) -> Booking | None:
    """Return the booking a live manage token opens, or None for any miss."""
    return manage_links.find_booking(token)


def find_by_form_key(form_key: str) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.form_key == form_key))


def _settings():
    return current_app.config


def policy_snapshot() -> dict:
    c = _settings()
    return {
        "cancel_cutoff_hours": c["BOOKING_CANCEL_CUTOFF_HOURS"],
        "reschedule_cutoff_hours": c["BOOKING_RESCHEDULE_CUTOFF_HOURS"],
    }


def hold_expiry_for(booked_at: datetime, start: datetime) -> datetime:
    c = _settings()
    return compute_hold_expiry(
        booked_at,
        start,
        max_after_booking=timedelta(hours=c["HOLD_MAX_HOURS_AFTER_BOOKING"]),
        before_start=timedelta(hours=c["HOLD_HOURS_BEFORE_START"]),
    )


def _local_day(instant: datetime) -> date:
    return instant.astimezone(availability.clinic_zone()).date()


def nearest_alternatives(
    service: Service,
    minutes: int,
    wanted: datetime,
    *,
    now: datetime,
    therapist_id: int | None,
    earliest_start: datetime | None,
    limit: int = 5,
) -> list[Slot]:
    """Return up to ``limit`` free starts closest to ``wanted`` (same week, either side)."""
    day = _local_day(wanted)
    first = max(day - timedelta(days=3), _local_day(now))
    found = availability.slots_for(
        service,
        minutes,
        first,
        day + timedelta(days=7),
        now=now,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
    ).slots
    return sorted(found, key=lambda s: (abs(s.start - wanted), s.start))[:limit]


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
        offer = _consume_reservation(request.reservation_id, now)
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


def _taken(
    service_id: int,
    minutes: int,
    start: datetime,
    seen: list,
    *,
    now: datetime,
    therapist_id: int | None,
    lost_to_overlap: bool = False,
) -> BookingError:
    """The "just taken" refusal, with the nearest free times the re-check's window shows.

    ``seen`` holds the last re-check read (or None) and the hold bound it applied.
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
            )
    return BookingError("taken", TAKEN_MESSAGE, field="start", alternatives=alternatives)


def _consume_reservation(reservation_id: int | None, now: datetime):
    """Claim a waitlist offer's reservation in this transaction, or lose as "taken"."""
    if reservation_id is None:
        return None
    from booking.services import reservations

    offer = reservations.consume(reservation_id, now=now)
    if offer is None:
        raise _TakenSignal
    return offer


def _assess(request: BookingRequest, service: Service, now: datetime, *, cleared: bool = True):
    """Run the screen for ``request``; refuse what it says must not be booked.

    Returns the assessment (None for a staff booking made without a screen) and the id of
    a returning patient's valid clearance that covers it, if any (``cleared`` False: the
    caller knows the patient has no valid clearance).
    """
    if request.screen is None:
        if request.source is BookingSource.ONLINE:
            raise BookingError(
                "screen_required", "Please answer the health questions first.", field="screen"
            )
        return None, None
    assessment = assess(request.screen, screening.settings())
    if not assessment.makes_booking:
        raise BookingError(
            assessment.outcome.value,
            patient_message(
                assessment.outcome,
                emergency_number=_settings()["CLINIC_EMERGENCY_NUMBER"],
                urgent_number=_settings()["CLINIC_URGENT_NUMBER"],
            )
            or "We can't book this treatment for you.",
            field="screen",
        )
    if assessment.no_deep_pressure and service.deep_pressure:
        raise BookingError(
            "not_suitable",
            f"{service.name} uses deep pressure, which isn't suitable for you. "
            "Please choose a gentler treatment.",
            field="service",
        )
    covered_by = None
    if assessment.needs_clearance:
        clearance = (
            screening.covering_clearance(request.email, request.screen, now=now, service=service)
            if request.email and cleared
            else None
        )
        covered_by = clearance.id if clearance is not None else None
    return assessment, covered_by


def _same_person(column, email: str):
    """SQL: ``column`` is ``email`` or one of its ``+tag`` variants, in any case."""
    local, _, domain = validation.canonical_email(email).rpartition("@")

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    lowered = func.lower(column)
    tagged = f"{escaped(local)}+%@{escaped(domain)}"
    return (lowered == f"{local}@{domain}") | lowered.like(tagged, escape="\\")


RESTRICTED_MESSAGE = (
    "{service} isn't suitable for you: the clinician who cleared you for massage set "
    "restrictions that rule it out. Please choose a gentler treatment, or call us."
)


def _restriction_override(request: BookingRequest, service: Service, now: datetime) -> bool:
    """Apply the restrictions of the patient's valid clearances to ``service``.

    Restrictions bind every booking a clearance covers, on every channel: online and over the
    API a conflicting service is refused; reception may book it with a recorded reason, and
    the booking is then held, since the clearance no longer covers it. Returns True when
    such an override applies. Raises BookingError("not_suitable" | "invalid").
    """
    if not request.email:
        return False
    conflict = screening.conflicting_clearance(request.email, service, now=now)
    if conflict is None:
        return False
    if request.source is not BookingSource.RECEPTION:
        raise BookingError(
            "not_suitable", RESTRICTED_MESSAGE.format(service=service.name), field="service"
        )
    if not request.restriction_override_reason.strip():
        raise BookingError(
            "restricted",
            f"This patient's clearance has restrictions that rule out {service.name}. Choose "
            "another service, or give a reason to book it anyway (it will be held for a new "
            "clearance).",
            field="restriction_override_reason",
        )
    reasons.check_reason(request.restriction_override_reason, field="restriction_override_reason")
    return True


def _cap_counts(email: str, now: datetime):
    """SQL: one row, the future bookings and the live holds of the person with ``email``.

    Counts live holds and confirmed bookings still to come, by the booking's contact email
    or its patient's, as one person whatever case or ``+tag`` each was typed with. The
    patients matching are found once, not joined to every future booking.
    """
    live_hold = (Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at > now)
    matching_patients = select(Patient.id).where(_same_person(Patient.email, email))
    return (
        select(
            func.count().label("future"),
            func.count().filter(live_hold).label("holds_now"),
        )
        .where(
            or_(
                _same_person(Booking.contact_email, email),
                Booking.patient_id.in_(matching_patients),
            ),
            Booking.starts_at > now,
            live_hold | (Booking.status == BookingStatus.CONFIRMED),
        )
        .subquery("caps")
    )


def _refuse_hold_squatting(facts: _Facts, *, hold: bool) -> None:
    """Refuse an online booking that would give the person too many future bookings or holds.

    Raises BookingError("too_many") above BOOKING_MAX_FUTURE_PER_EMAIL, or, for a booking
    that will be held, above BOOKING_MAX_HOLDS_PER_EMAIL (counts from :func:`_cap_counts`).
    """
    c = _settings()
    if facts.future >= c["BOOKING_MAX_FUTURE_PER_EMAIL"] or (
        hold and facts.holds_now >= c["BOOKING_MAX_HOLDS_PER_EMAIL"]
    ):
        raise BookingError(
            "too_many",
            "You already have as many appointments booked with us as we can take online. "
            f"Please call us on {c['CLINIC_PHONE']} to book another.",
        )


class _TakenSignal(Exception):
    """Internal: leave the write transaction (rolling back) before computing alternatives."""


@dataclass(frozen=True)
class ChangeRules:
    """What the patient may still do with a booking themselves, and why not."""

    can_cancel: bool
    can_reschedule: bool
    reason: str | None  # "finished" | "cutoff" | None


def change_rules(booking: Booking, now: datetime) -> ChangeRules:
    """Return whether the patient may cancel or reschedule ``booking`` at ``now``.

    Cut-offs come from the policy in force when it was booked. Inside them the page says
    "please call us"; reception can still act.
    """
    live = booking.status in ACTIVE and booking.starts_at > now
    if booking.status is BookingStatus.HELD and not booking.blocks_at(now):
        live = False
    if not live:
        return ChangeRules(False, False, "finished")
    snapshot = booking.policy_snapshot or policy_snapshot()
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
) -> Booking:
    """Move a booking to ``new_start`` (same service and length) if that time is free.

    The old time is freed only if the new one is taken: one UPDATE in one transaction.
    Keeps the therapist when they are free then, else assigns one fairly. A held booking
    stays held (its expiry follows the new start). Staff may name the therapist, override
    the rules with a reason (conflicts still refused) and choose not to notify the patient.
    Raises BookingError("not_active" | "cutoff" | "same_time" | "taken").
    """
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
    rules = change_rules(booking, now)
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
    earliest = availability.hold_start_bound(now) if held else None
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
        offer = _consume_reservation(reservation_id, now)
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
        )
        seen[:] = [(check, earliest)]
        slot, window = check.slot, check.window
        if slot is None:
            raise _TakenSignal
        if booking.therapist_id in slot.therapist_ids:
            chosen = booking.therapist_id
        else:
            zone = availability.clinic_zone()
            counts = bookings_per_therapist(
                window.bookings, _local_day(new_start), tz=zone, now=now
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
            values["hold_expires_at"] = hold_expiry_for(booking.created_at, slot.start)
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
) -> Booking:
    """Cancel a held or confirmed booking, freeing its time at once.

    Raises BookingError("not_active" | "cutoff").
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    rules = change_rules(booking, now)
    if rules.reason == "finished":
        raise BookingError("not_active", "This booking is no longer active.")
    if enforce_cutoff and not rules.can_cancel:
        raise BookingError(
            "cutoff", "It is too close to your appointment to cancel online; please call us."
        )

    def attempt() -> None:
        current = db.session.get(Booking, booking_id, populate_existing=True)
        transitions.apply(
            current, moves.CANCEL, actor=actor, now=now, notify=notify, notified=notify
        )

    run_in_write_transaction(attempt)
    db.session.refresh(booking)
    return booking
