"""Follow-ups in the demo clinic: a patient whose answered follow-ups draw the pain chart,
one whose answers flag the therapist, and one completed session whose follow-up is due.

Rows are written directly (no email is queued): every completed demo session but the due
one gets a follow-up row, so the worker's first pass after ``make run`` sends exactly one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.intake import ScreenAnswers, assess
from booking.intake.followup import FollowUpAnswers, as_screen, review
from booking.models import Booking, BookingStatus, FollowUp, Intake
from booking.services import screening
from booking.services.clinic_settings import current_policy

# Pain before each session (the screen) and after it (the follow-up), oldest first.
CHART = [(6, 5), (5, 4), (5, 3), (4, 2)]


def _screen(pain: int) -> ScreenAnswers:
    return ScreenAnswers(
        location="lower_back",
        duration="over_12_weeks",
        sudden_onset=False,
        pain_score=pain,
        disturbs_sleep_or_daily_life=False,
        recent_injury="none",
        long_term_steroids=False,
    )


def _ensure_intake(booking: Booking, answers: ScreenAnswers) -> None:
    if db.session.scalar(select(Intake.id).where(Intake.booking_id == booking.id)):
        return
    assessment = assess(answers, screening.settings())
    db.session.add(
        Intake(
            booking=booking,
            answers=answers.to_data(),
            outcome=assessment.outcome.value,
            rule_codes=list(assessment.codes),
            flags=sorted(assessment.flags),
            no_deep_pressure=assessment.no_deep_pressure,
            consent_version=screening.CONSENT_VERSION,
            consented_at=booking.created_at,
            created_at=booking.created_at,
        )
    )


def _answered(booking: Booking, previous: ScreenAnswers, answers: FollowUpAnswers) -> FollowUp:
    sent = booking.ends_at + timedelta(hours=24)
    found = review(answers, previous, screening.settings())
    return FollowUp(
        booking_id=booking.id,
        patient_id=booking.patient_id,
        created_at=sent,
        expires_at=sent + timedelta(days=current_policy().follow_up_link_days),
        answered_at=sent + timedelta(hours=3),
        answers=answers.to_data(),
        screen_after=as_screen(previous, answers).to_data(),
        review_reasons=[f"red_flag:{r.code}" for r in found.red_flags]
        + [f"change:{c}" for c in found.changes],
        needs_review=found.needs_review,
    )


def seed_demo_follow_ups(now: datetime) -> int:
    """Add the demo follow-ups around ``now``; return how many answered ones were added."""
    completed = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.status == BookingStatus.COMPLETED, Booking.ends_at <= now)
            .order_by(Booking.ends_at, Booking.id)
        )
    )
    if not completed:
        return 0
    old = [b for b in completed if b.ends_at <= now - timedelta(hours=48)]
    # The due one: the latest session that ended a day or more ago (the worker sends it).
    due = next((b for b in reversed(completed) if b.ends_at <= now - timedelta(hours=24)), None)
    # The chart's sessions: one patient's with one therapist, who sees them all.
    by_pair: dict[tuple[int, int], list[Booking]] = {}
    for booking in old:
        by_pair.setdefault((booking.patient_id, booking.therapist_id), []).append(booking)
    charted = max(by_pair.values(), key=len, default=[])[-len(CHART) :]
    answered = 0
    for booking, (before, after) in zip(charted, CHART[-len(charted) :], strict=True):
        previous = _screen(before)
        _ensure_intake(booking, previous)
        progress = "better" if after < before else "same"
        reactions = ["soreness_beyond_two_days"] if answered == 0 else []
        db.session.add(_answered(booking, previous, FollowUpAnswers(after, progress, reactions)))
        answered += 1
    flagged = next(
        (
            b
            for b in reversed(old)
            if b not in charted and b.patient_id not in {c.patient_id for c in charted}
        ),
        None,
    )
    if flagged is not None:
        previous = _screen(4)
        _ensure_intake(flagged, previous)
        answers = FollowUpAnswers(
            5,
            "worse",
            ["numbness_or_tingling"],
            "Pins and needles in my left foot since Tuesday.",
            urgent_symptoms=["night_or_rest_pain"],
        )
        db.session.add(_answered(flagged, previous, answers))
        answered += 1
    taken = set(charted) | {flagged}
    for booking in completed:
        if booking in taken or booking is due:
            continue
        sent = booking.ends_at + timedelta(hours=24)
        if sent > now:
            continue  # not yet due: the worker sends it when it is
        db.session.add(
            FollowUp(
                booking_id=booking.id,
                patient_id=booking.patient_id,
                created_at=sent,
                expires_at=sent + timedelta(days=14),
                needs_review=False,
            )
        )
    db.session.commit()
    return answered
