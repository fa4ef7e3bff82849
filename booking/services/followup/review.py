"""The staff side of follow-ups: the flag for the therapist, the pain over the sessions.

Who sees what (DOMAIN.md section 5): every staff role may see that a follow-up needs the
therapist (the day view and the patient page say so, nothing more); the answers are health
data, shown only to admins and to the therapist of that session, and each showing is
audited (``follow_up.viewed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from booking.extensions import db
from booking.intake import ScreenError, assess, parse_answers
from booking.intake.followup import Progress, Reaction, parse_follow_up
from booking.models import Booking, BookingStatus, FollowUp, Intake, Patient, StaffRole
from booking.services import audit, patient_records, screening
from booking.services.audit import Actor
from booking.services.errors import NotAllowed, Reason, Refusal
from booking.services.locking import run_in_write_transaction, write_transaction

CHANGE_WORDS = {
    "pain_rise": "Pain has risen by 2 points or more since the screen",
    "location": "The pain is in a different place",
}


def awaiting_review(patient_ids) -> set[int]:
    """Of ``patient_ids``, those with a follow-up flagged for the therapist and not yet seen."""
    ids = set(patient_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(FollowUp.patient_id).where(
                FollowUp.patient_id.in_(ids),
                FollowUp.needs_review.is_(True),
                FollowUp.reviewed_at.is_(None),
            )
        )
    )


@dataclass(frozen=True)
class FollowUpLine:
    """One answered follow-up as a permitted viewer sees it."""

    id: int
    booking: Booking
    answered_at: datetime
    pain_now: int
    progress: str
    reactions: tuple[str, ...]
    reaction_text: str
    reasons: tuple[str, ...]
    needs_review: bool
    reviewed_at: datetime | None


@dataclass(frozen=True)
class PainPoint:
    """One session on the chart: its pain score at the screen and in its follow-up."""

    booking: Booking
    before: int | None  # the screen's typical-day score the session was booked with
    after: int | None  # pain now, in the follow-up


def _reason_words(reasons: list[str], screen_after: dict | None) -> tuple[str, ...]:
    rule_words: dict[str, str] = {}
    if screen_after:
        try:
            rules = assess(parse_answers(screen_after), screening.settings()).rules
            rule_words = {rule.code: rule.reason for rule in rules}
        except (ScreenError, ValueError):
            rule_words = {}
    flagged = {r.partition(":")[2] for r in reasons if r.startswith("red_flag:")}
    words = []
    for reason in reasons:
        kind, _, code = reason.partition(":")
        if kind == "red_flag":
            words.append(f"Red flag: {rule_words.get(code, code)}")
        elif code.startswith("new_rule:"):
            rule = code.removeprefix("new_rule:")
            if rule not in flagged:  # a red flag is new by nature: say it once
                words.append(f"New since the screen: {rule_words.get(rule, rule)}")
        elif code.startswith("new_history:"):
            words.append(f"New since the screen: {code.removeprefix('new_history:')}")
        else:
            words.append(CHANGE_WORDS.get(code, code))
    return tuple(dict.fromkeys(words))


def _line(follow_up: FollowUp) -> FollowUpLine:
    answers = parse_follow_up(follow_up.answers or {})
    return FollowUpLine(
        id=follow_up.id,
        booking=follow_up.booking,
        answered_at=follow_up.answered_at,  # type: ignore[arg-type]
        pain_now=answers.pain_now,
        progress=Progress(answers.progress).label,
        reactions=tuple(r.label for r in Reaction if r in answers.reactions),
        reaction_text=answers.reaction_text,
        reasons=_reason_words(follow_up.review_reasons or [], follow_up.screen_after),
        needs_review=follow_up.needs_review,
        reviewed_at=follow_up.reviewed_at,
    )


def _visible(bookings: list[Booking], role: StaffRole, therapist_id: int | None) -> list[int]:
    return [b.id for b in bookings if patient_records.may_see_health(role, therapist_id, b)]


@dataclass(frozen=True)
class PatientFollowUps:
    lines: list[FollowUpLine]
    points: list[PainPoint]


def for_patient(
    patient: Patient,
    bookings: list[Booking],
    *,
    role: StaffRole,
    therapist_id: int | None,
    actor: Actor,
    now: datetime,
) -> PatientFollowUps:
    """Return the answered follow-ups and the pain over the sessions that the viewer may
    see (admins: all; a therapist: their own sessions; reception: none), oldest first.

    Showing any answers writes ``follow_up.viewed`` (no health data in it) and commits.
    """
    visible = _visible(bookings, StaffRole(role), therapist_id)
    if not visible:
        return PatientFollowUps([], [])
    follow_ups = {
        f.booking_id: f
        for f in db.session.scalars(
            select(FollowUp).where(
                FollowUp.booking_id.in_(visible), FollowUp.answered_at.is_not(None)
            )
        )
    }
    screens = dict(
        db.session.execute(
            select(Intake.booking_id, Intake.answers).where(Intake.booking_id.in_(visible))
        ).all()
    )
    sessions = sorted(
        (b for b in bookings if b.id in visible and b.status is BookingStatus.COMPLETED),
        key=lambda b: b.starts_at,
    )
    points = []
    for booking in sessions:
        screen = screens.get(booking.id)
        follow_up = follow_ups.get(booking.id)
        before = screen.get("pain_score") if isinstance(screen, dict) else None
        after = (follow_up.answers or {}).get("pain_now") if follow_up else None
        if before is not None or after is not None:
            points.append(PainPoint(booking, before, after))
    lines = sorted((_line(f) for f in follow_ups.values()), key=lambda line: line.answered_at)
    if lines:
        with write_transaction():
            audit.record(
                "follow_up.viewed",
                actor=actor,
                now=now,
                patient_id=patient.id,
                count=len(lines),
            )
    return PatientFollowUps(lines, points)


def mark_reviewed(
    follow_up_id: int, *, role: StaffRole, therapist_id: int | None, actor: Actor, now: datetime
) -> FollowUp:
    """Record that the therapist (or an admin) has seen a flagged follow-up.

    Raises Refusal("not_found") or NotAllowed; a second click changes nothing.
    """
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.answered_at is None:
        raise Refusal(Reason.NOT_FOUND, "We couldn't find that follow-up.")
    if not patient_records.may_see_health(StaffRole(role), therapist_id, follow_up.booking):
        raise NotAllowed("Only the patient's therapist can do this.")

    def attempt() -> None:
        changed = db.session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up_id, FollowUp.reviewed_at.is_(None))
            .values(reviewed_at=now, reviewed_by_staff_id=actor.staff_user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            audit.record("follow_up.reviewed", actor=actor, now=now, booking=follow_up.booking)

    run_in_write_transaction(attempt)
    db.session.refresh(follow_up)
    return follow_up


def patients_awaiting_review() -> set[int]:
    """Every patient with a follow-up flagged for the therapist and not yet seen."""
    return set(
        db.session.scalars(
            select(FollowUp.patient_id).where(
                FollowUp.needs_review.is_(True), FollowUp.reviewed_at.is_(None)
            )
        )
    )
