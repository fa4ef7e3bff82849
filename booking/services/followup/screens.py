"""The screen as each follow-up left it, for the re-screen of a returning patient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from booking.extensions import db
from booking.intake import ScreenAnswers, ScreenError, parse_answers
from booking.models import FollowUp, Patient


def screens_since(email: str, since: datetime) -> list[ScreenAnswers]:
    """The screens as they stood after each of the patient's follow-ups answered after
    ``since``, newest first: a material change in any of them, against the answers a
    clearance was given on, means that clearance no longer covers the patient."""
    rows = db.session.scalars(
        select(FollowUp.screen_after)
        .join(Patient, Patient.id == FollowUp.patient_id)
        .where(Patient.email == email, FollowUp.answered_at > since)
        .order_by(FollowUp.answered_at.desc())
    )
    screens = []
    for stored in rows:
        try:
            screens.append(parse_answers(stored or {}))
        except ScreenError:  # stored under older rules
            continue
    return screens
