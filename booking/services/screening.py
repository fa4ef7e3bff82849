"""The pain screen as the booking verbs use it: settings, counters, clearance cover."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.intake import Outcome, ScreenAnswers, ScreenSettings, is_material_change
from booking.intake import parse_answers as _parse
from booking.models import (
    ApprovalState,
    Clearance,
    ClearanceOutcome,
    Patient,
    ScreenOutcomeCount,
)
from booking.services import availability

# The wording of the consent checkbox and of the clearance attestation change rarely; the
# version is stored beside each answer so we know what the person agreed to.
CONSENT_VERSION = "2026-11"
ATTESTATION_VERSION = "2026-11"


def settings() -> ScreenSettings:
    return ScreenSettings(hold_pain_score=int(current_app.config["SCREEN_HOLD_PAIN_SCORE"]))


def count_outcome(outcome: Outcome, *, now: datetime) -> None:
    """Add one to today's anonymous counter for ``outcome`` and commit.

    The only trace an EMERGENCY or URGENT screen leaves: no answers, no person, no time
    finer than the clinic-local day.
    """
    day = now.astimezone(availability.clinic_zone()).date()
    for _ in range(3):
        bumped = db.session.execute(
            update(ScreenOutcomeCount)
            .where(ScreenOutcomeCount.day == day, ScreenOutcomeCount.outcome == outcome.value)
            .values(count=ScreenOutcomeCount.count + 1)
        ).rowcount
        if bumped:
            db.session.commit()
            return
        try:
            db.session.add(ScreenOutcomeCount(day=day, outcome=outcome.value, count=1))
            db.session.commit()
            return
        except IntegrityError:  # another request created today's row first
            db.session.rollback()


def covering_clearance(email: str, answers: ScreenAnswers, *, now: datetime) -> Clearance | None:
    """Return a still-valid clearance of the patient that covers today's answers, if any.

    DOMAIN.md section 2: a clearance is valid for six months for the same episode; a
    material change in the answers needs a new one.
    """
    candidates = db.session.scalars(
        select(Clearance)
        .join(Patient, Patient.id == Clearance.patient_id)
        .where(
            Patient.email == email,
            Clearance.outcome.in_(
                [ClearanceOutcome.CLEARED, ClearanceOutcome.CLEARED_WITH_RESTRICTIONS]
            ),
            Clearance.approval.in_([ApprovalState.NOT_NEEDED, ApprovalState.APPROVED]),
            Clearance.valid_until > now,
        )
        .order_by(Clearance.attested_at.desc())
    )
    for clearance in candidates:
        if clearance.screen_answers is None:
            continue
        previous = _parse(clearance.screen_answers)
        if not is_material_change(previous, answers, settings()):
            return clearance
    return None
