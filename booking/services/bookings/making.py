"""Making a booking: ``book``, and a new manage link for a replayed submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, bindparam, literal, select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import ActorKind, Booking, BookingSource, MessageKind
from booking.models.types import UTCDateTime
from booking.notify import outbox
from booking.policy import ClinicPolicy
from booking.services import holds, manage_links, patients, recheck, screening
from booking.services.audit import Actor
from booking.services.bookings import placing
from booking.services.bookings.checks import (
    _cap_counts,
    _refuse_hold_squatting,
    same_person_patterns,
)
from booking.services.bookings.common import (
    UNKNOWN_MESSAGE,
    BookingRequest,
    BookingResult,
    _consume_reservation,
    _taken,
    _TakenSignal,
    find_by_form_key,
)
from booking.services.clinic_settings import current_policy
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


def book(
    request: BookingRequest,
    *,
    actor: Actor,
    now: datetime,
    policy: ClinicPolicy | None = None,
) -> BookingResult:
    """Book ``request`` if its start is still free; return the booking and its manage token.

    Idempotent on ``form_key``: a second submit of the same form returns the first booking.
    Raises BookingError("unknown_service" | "unknown_duration" | "taken" | ...).

    Everything is decided inside one write transaction, in few statements: one reads the
    small facts (a replayed form key, the patient, the online caps, whether any hold ran
    out), one the service, one the re-check's window; then the inserts.
    """
    policy = policy or current_policy()
    start = request.start.astimezone(now.tzinfo)
    # The last re-check read, and the hold bound it used: a refusal's alternatives.
    seen: list[tuple[recheck.Recheck | None, datetime | None]] = []

    def attempt() -> BookingResult:
        seen.clear()
        facts = _facts(request, now)
        if facts.replay_id is not None:
            replayed = db.session.get(Booking, facts.replay_id)
            return BookingResult(
                _loaded_for_the_answer(replayed, therapist=True), None, created=False
            )
        service, option = placing.checked_service(request)
        decision = placing.decide(request, service, facts, now, policy=policy)
        _before_placing(
            request, facts, hold=decision.holds(start), actor=actor, now=now, policy=policy
        )
        offer = _consume_reservation(request.reservation_id, now, actor)
        placed = placing.place(
            request,
            service,
            option,
            decision,
            facts,
            start,
            actor=actor,
            now=now,
            seen=seen,
            policy=policy,
            with_commit=True,
        )
        booking = placed.booking
        if offer is not None:
            offer.booking_id = booking.id
        if request.waitlist_entry_id is not None:
            _end_fulfilled_entry(request.waitlist_entry_id, booking, actor=actor, now=now)
        # Rows nothing here reads back: one statement with the commit (booking.deferred).
        token = manage_links.mint(booking, now=now, with_commit=True)
        outbox.queue_created(
            MessageKind.HELD if placed.held else MessageKind.BOOKED,
            booking,
            now=now,
            service_name=service.name,
            therapist_name=placed.therapist_name,
            with_commit=True,
        )
        placing.count_screen(request, decision, now, policy=policy, with_commit=True)
        return BookingResult(
            _loaded_for_the_answer(booking), token, created=True, therapist=placed.therapist
        )

    try:
        # The caller's earlier reads (the catalogue it checked the request against) need no
        # refreshing, and the answer is built from what the transaction loaded.
        return run_in_write_transaction(attempt, keep_loaded=True, go_on_reading=True)
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
            policy=policy,
            by_staff=actor.kind is ActorKind.STAFF,
            overridden=bool(request.override_reason.strip()),
        ) from None


def _loaded_for_the_answer(booking: Booking, *, therapist: bool = False) -> Booking:
    """Load, inside the transaction, what an answer about ``booking`` shows.

    The service is in the session already (no query). A new booking's therapist comes with
    the result (``BookingResult.therapist``); a replayed one's is loaded (``therapist``).
    With the commit keeping them loaded, the answer reads nothing after it: a read that
    failed there would turn a booking made into an error.
    """
    booking.service  # noqa: B018 - loading is the point
    if therapist:
        booking.therapist  # noqa: B018
    return booking


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


# The facts statement, one per shape (which of its parts a request needs), built once with
# bind parameters: building and keying this many expressions cost more than running them.
_FACTS_STATEMENTS: dict[tuple[str, bool, bool, bool], Select] = {}


def _facts_statement(shape: tuple[str, bool, bool, bool]) -> Select:
    statement = _FACTS_STATEMENTS.get(shape)
    if statement is not None:
        return statement
    _dialect, has_key, has_email, capped = shape
    none = literal(None, Integer)
    now = bindparam("now", type_=UTCDateTime())
    email = bindparam("email")
    columns = [
        select(Booking.id).where(Booking.form_key == bindparam("form_key")).scalar_subquery()
        if has_key
        else none,
        patients.id_for(email) if has_email else none,
        screening.any_valid_clearance(email, now=now) if has_email else none,
        holds.anything_overdue(now),
    ]
    statement = select(*columns)
    if capped:
        caps = _cap_counts(None, now)
        statement = statement.add_columns(caps.c.future, caps.c.holds_now).select_from(caps)
    else:
        statement = statement.add_columns(literal(0, Integer), literal(0, Integer))
    return _FACTS_STATEMENTS.setdefault(shape, statement)


def _facts(request: BookingRequest, now: datetime) -> _Facts:
    """Read the small facts the verb needs, in one statement of scalar subqueries."""
    capped = request.source is BookingSource.ONLINE and bool(request.email)
    dialect = db.session.get_bind().dialect.name  # the caps' SQL differs (checks._same_person)
    statement = _facts_statement((dialect, bool(request.form_key), bool(request.email), capped))
    params: dict = {"now": now, "form_key": request.form_key, "email": request.email}
    if capped:
        params |= same_person_patterns(request.email)
    row = db.session.execute(statement, params).one()
    replay_id, patient_id, cleared, overdue, future, holds_now = row
    return _Facts(replay_id, patient_id, bool(cleared), future or 0, holds_now or 0, bool(overdue))


def _before_placing(
    request: BookingRequest,
    facts: _Facts,
    *,
    hold: bool,
    actor,
    now,
    policy: ClinicPolicy | None = None,
) -> None:
    """The online caps, and expiring what ran out, once per transaction before any insert."""
    if request.source is BookingSource.ONLINE:
        _refuse_hold_squatting(facts, hold=hold, policy=policy)
    holds.expire_overdue(now=now, actor=Actor.system(), known_overdue=facts.overdue)
