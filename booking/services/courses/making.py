"""Booking a course: every session in one write transaction, or none.

Each session is placed by the same code as a single booking (``bookings.placing``): the
screen and the patient's clearances are decided once for the course, then every chosen
start is re-checked and inserted. If any start is no longer free nothing is kept, and the
refusal (:class:`CourseTaken`) names the sessions and carries a fresh plan whose
alternatives the patient may accept explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import Booking, Course
from booking.notify import outbox
from booking.policy import ClinicPolicy
from booking.scheduling.courses import CoursePlan, session_week, wanted_starts
from booking.services import manage_links, patients
from booking.services.audit import Actor
from booking.services.bookings import placing
from booking.services.bookings.common import UNKNOWN_MESSAGE, BookingRequest, _TakenSignal
from booking.services.bookings.making import _before_placing, _facts
from booking.services.clinic_settings import current_policy
from booking.services.courses.planning import check_cadence, course_rules, plan, sessions_of
from booking.services.errors import BookingError
from booking.services.locking import OutcomeUnknown, reading, run_in_write_transaction


@dataclass(frozen=True)
class CourseRequest:
    """A course as the patient (or reception) accepted it.

    ``booking`` holds who, what and how long, the screen, the source and the form key; its
    ``start`` is the first session's wanted start, which sets the weekday and time of
    every week. ``starts`` is the accepted start of each session (the plan's wanted start,
    or an alternative of that session's week), ``therapist_ids`` who each is with (None:
    ``booking.therapist_id``).
    """

    booking: BookingRequest
    every_weeks: int
    starts: tuple[datetime, ...]
    therapist_ids: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class CourseResult:
    course: Course
    bookings: list[Booking]  # by session
    # A manage link of the first session (it opens the whole course); None on a replay.
    manage_token: str | None
    created: bool


class CourseTaken(BookingError):
    """Some chosen starts are no longer free; nothing was booked.

    ``sessions`` are the numbers (1-based) of the sessions whose start was taken; ``plan``
    is the course planned afresh from the same wanted first start, with each week's free
    times, for the patient to accept.
    """

    def __init__(self, sessions: list[int], fresh: CoursePlan | None) -> None:
        listed = ", ".join(str(n) for n in sessions)
        super().__init__(
            "taken",
            f"Sorry, some times of the course were just taken (session {listed}). Nothing "
            "is booked yet: choose from the nearest free times and book again.",
            field="starts",
        )
        self.sessions = sessions
        self.plan = fresh


def find_by_form_key(form_key: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.form_key == form_key))


def book_course(
    request: CourseRequest,
    *,
    actor: Actor,
    now: datetime,
    policy: ClinicPolicy | None = None,
) -> CourseResult:
    """Book every session of ``request`` in one transaction; return the course.

    The same rules as ``bookings.book`` for each session (screen, restrictions, caps,
    re-check, therapist and room). The online caps count the course as one booking. A held
    course (the screen asks for a clearance) is held as a whole; a patient whose valid
    clearance runs out before a later session has that session held until shortly before
    its own start (HOLD_HOURS_BEFORE_START), and the earlier ones confirmed.

    Idempotent on the form key: a replay returns the first course. Raises BookingError
    ("no_course" | "invalid" | ...), or CourseTaken when a start is no longer free.
    """
    policy = policy or current_policy()
    first = request.booking
    zone = policy.zone
    check_cadence(request.every_weeks)
    wanted = wanted_starts(
        first.start, every_weeks=request.every_weeks, sessions=max(len(request.starts), 1), tz=zone
    )
    _check_starts(request, wanted, zone)
    rules = course_rules(wanted, now=now, policy=policy)
    failed: list[int] = []

    def attempt() -> CourseResult:
        failed.clear()
        if first.form_key and (existing := find_by_form_key(first.form_key)) is not None:
            return CourseResult(existing, list(existing.bookings), None, created=False)
        # The facts of one booking without a form key of its own: the course row has it.
        facts = _facts(replace(first, form_key=None), now)
        service, option = placing.checked_service(first)
        if len(request.starts) != sessions_of(service):
            raise BookingError(
                "invalid",
                f"A course of {service.name} has {service.course_sessions} sessions.",
                field="starts",
            )
        decision = placing.decide(first, service, facts, now, policy=policy)
        held = any(decision.holds(start) for start in request.starts)
        _before_placing(first, facts, hold=held, actor=actor, now=now, policy=policy)
        patient_id = (
            facts.patient_id
            or patients.create(name=first.name, email=first.email, phone=first.phone, now=now).id
        )
        facts = replace(facts, patient_id=patient_id)
        course = Course(
            patient_id=patient_id,
            service_id=service.id,
            duration_minutes=option.minutes,
            sessions=len(request.starts),
            every_weeks=request.every_weeks,
            source=first.source,
            form_key=first.form_key,
            created_at=now,
        )
        db.session.add(course)
        db.session.flush()
        placed = []
        for number, start in enumerate(request.starts, start=1):
            session_request = replace(
                first,
                start=start,
                form_key=None,
                therapist_id=_therapist(request, number),
            )
            try:
                placed.append(
                    placing.place(
                        session_request,
                        service,
                        option,
                        decision,
                        facts,
                        start,
                        actor=actor,
                        now=now,
                        seen=[],
                        rules=None if number == 1 else rules,
                        course_id=course.id,
                        session=number,
                        hold_expires_at=_hold_until(decision, start, now, policy),
                        policy=policy,
                    )
                )
            except _TakenSignal:
                failed.append(number)
        if failed:
            raise _TakenSignal
        outbox.queue_course(
            [p.booking for p in placed],
            course_id=course.id,
            now=now,
            service_name=service.name,
            therapist_names={p.booking.therapist_id: p.therapist_name for p in placed},
            clearance_runs_out=decision.covered_until
            if any(_hold_until(decision, p.booking.starts_at, now, policy) for p in placed)
            else None,
        )
        token = manage_links.mint(placed[0].booking, now=now)
        placing.count_screen(first, decision, now, policy=policy)
        return CourseResult(course, [p.booking for p in placed], token, created=True)

    try:
        return run_in_write_transaction(attempt)
    except OutcomeUnknown:
        raise OutcomeUnknown(UNKNOWN_MESSAGE) from None
    except (_TakenSignal, IntegrityError) as refused:
        lost = isinstance(refused, IntegrityError)
        if lost and first.form_key and (existing := find_by_form_key(first.form_key)):
            return CourseResult(existing, list(existing.bookings), None, created=False)
        raise _course_taken(request, list(failed), now=now, policy=policy) from None


def _therapist(request: CourseRequest, number: int) -> int | None:
    chosen = request.therapist_ids[number - 1] if len(request.therapist_ids) >= number else None
    return chosen if chosen is not None else request.booking.therapist_id


def _check_starts(request: CourseRequest, wanted: list[datetime], zone) -> None:
    """Each accepted start lies in its own session's week, and the weeks are in order."""
    if not request.starts:
        raise BookingError("invalid", "A course needs its sessions' times.", field="starts")
    if request.therapist_ids and len(request.therapist_ids) != len(request.starts):
        raise BookingError("invalid", "One therapist per session.", field="therapist_ids")
    for number, (start, want) in enumerate(zip(request.starts, wanted, strict=True), start=1):
        if start.tzinfo is None:
            raise BookingError("invalid", "Times must carry their zone.", field="starts")
        lo, hi = session_week(want, zone)
        if not lo <= start.astimezone(zone).date() <= hi:
            raise BookingError(
                "invalid",
                f"Session {number} must be within three days of its week's usual time.",
                field="starts",
            )


def _hold_until(
    decision: placing.Decision, start: datetime, now: datetime, policy: ClinicPolicy
) -> datetime | None:
    """A session held only because the patient's clearance runs out before it.

    Its hold lasts until shortly before its own start (HOLD_HOURS_BEFORE_START), so the
    patient has until then to send a new clearance; a course held for a first clearance
    keeps the ordinary expiry (``hold_expiry_for``).
    """
    if decision.restricted or decision.covered_by is None or not decision.holds(start):
        return None
    return max(start - policy.hold_before_start, now)


def _course_taken(
    request: CourseRequest, failed: list[int], *, now: datetime, policy: ClinicPolicy
) -> CourseTaken:
    """The refusal, with the course planned afresh in a read of its own."""
    first = request.booking
    with reading():
        service = placing.load_service(first.service_id)
        try:
            fresh = plan(
                service,
                first.minutes,
                first.start,
                every_weeks=request.every_weeks,
                now=now,
                therapist_id=first.therapist_id,
                sessions=len(request.starts),
                policy=policy,
            )
        except BookingError:
            fresh = None
    if fresh is not None:
        # What the database refused (an overlap committed after the re-check): the sessions
        # whose accepted start the fresh plan no longer shows free.
        for number, start in enumerate(request.starts, start=1):
            week = fresh.sessions[number - 1]
            free_now = {s.start for s in week.alternatives} | (
                {week.slot.start} if week.slot is not None else set()
            )
            if start not in free_now and number not in failed:
                failed.append(number)
    return CourseTaken(sorted(failed), fresh)
