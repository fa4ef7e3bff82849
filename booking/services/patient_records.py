"""Reading patients for reception: search, a patient's history, and the audited intake view.

Who sees what (DOMAIN.md section 5): every staff role sees names, contact details and
bookings; the pain screen's answers and the clearances are health data, shown only to
admins and to the therapist of that booking, and every showing is written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from booking import intake as screen
from booking import validation
from booking.extensions import db
from booking.models import Booking, Clearance, Intake, Patient, StaffRole
from booking.services.audit import Actor, record
from booking.services.errors import NotAllowed
from booking.services.locking import write_transaction

SEARCH_LIMIT = 50


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query: str, *, region: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """Return patients whose name, email or phone matches ``query``, by name.

    The query is normalised like the stored values: an address is lower-cased, and a phone
    number that parses is matched in its E.164 form (stored numbers are E.164), else by its
    digits. Blank or one-character queries return nothing.
    """
    text = " ".join((query or "").split())[:254]
    if len(text) < 2:
        return []
    conditions = []
    lowered = text.lower()
    conditions.append(Patient.name.ilike(f"%{_escape_like(text)}%", escape="\\"))
    conditions.append(Patient.email.like(f"%{_escape_like(lowered)}%", escape="\\"))
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3 and re.fullmatch(r"[0-9+()\-. ]+", text):
        try:
            e164 = validation.normalise_phone(text, region=region)
        except validation.InvalidInput:
            e164 = None
        if e164:
            conditions.append(Patient.phone == e164)
        # Part of a number ("7700 900") matches the stored digits wherever they sit; a
        # national number also matches without its leading zero (+44 7700... vs 07700...).
        conditions.append(Patient.phone.like(f"%{digits}%"))
        if digits.startswith("0") and len(digits) > 4:
            conditions.append(Patient.phone.like(f"%{digits[1:]}%"))
    return list(
        db.session.scalars(
            select(Patient).where(or_(*conditions)).order_by(Patient.name, Patient.id).limit(limit)
        )
    )


REFERENCE = re.compile(r"[0-9a-f]{8}")


def bookings_by_reference(query: str) -> list[Booking]:
    """Return the bookings whose short reference (``3F9A1C07``, any case) is ``query``.

    Spaces, dashes and a leading ``#`` are ignored, as people read references out in
    groups. More than one booking can share a reference only by a one-in-four-billion
    chance, so all are returned.
    """
    text = re.sub(r"[\s#-]", "", (query or "")).lower()
    if not REFERENCE.fullmatch(text):
        return []
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.public_id.like(f"{text}%"))
            .options(selectinload(Booking.patient), selectinload(Booking.service))
            .order_by(Booking.starts_at.desc())
            .limit(10)
        )
    )


def history(patient: Patient) -> list[Booking]:
    """Return the patient's bookings, latest start first, with what the list shows loaded."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.patient_id == patient.id)
            .options(
                selectinload(Booking.service),
                selectinload(Booking.therapist),
                selectinload(Booking.room),
            )
            .order_by(Booking.starts_at.desc(), Booking.id.desc())
        )
    )


def booking_by_ref(ref: str) -> Booking | None:
    if not re.fullmatch(r"[0-9a-f]{32}", ref or ""):
        return None
    return db.session.scalar(select(Booking).where(Booking.public_id == ref))


def may_see_health(role: StaffRole, therapist_id: int | None, booking: Booking) -> bool:
    """Say whether a staff member may see this booking's answers and clearances."""
    if role is StaffRole.ADMIN:
        return True
    if role is StaffRole.THERAPIST:
        return therapist_id is not None and booking.therapist_id == therapist_id
    return False


@dataclass(frozen=True)
class AnswerLine:
    question: int
    text: str
    answer: str


@dataclass(frozen=True)
class RuleLine:
    code: str
    reason: str


@dataclass(frozen=True)
class IntakeView:
    booking: Booking
    intake: Intake | None
    answers: list[AnswerLine]
    rules: list[RuleLine]
    clearances: list[Clearance]


def _answer_text(field: screen.QuestionField, value: Any) -> str:
    labels = {choice.value: choice.label for choice in field.choices}
    if value is None:
        return "(not answered)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value) or "None of these"
    return labels.get(str(value), str(value))


def answer_lines(answers: dict[str, Any] | None) -> list[AnswerLine]:
    """Pair each stored answer with the wording the patient read (``intake.QUESTIONS``)."""
    if not answers:
        return []
    lines = []
    for question in screen.QUESTIONS:
        for field in question.fields:
            lines.append(
                AnswerLine(
                    question.number, field.text, _answer_text(field, answers.get(field.name))
                )
            )
    return lines


def _rule_lines(found: Intake) -> list[RuleLine]:
    # The stored codes are the record; the plain-words reasons come from re-reading the
    # stored answers (the codes are stable, so a code the rules no longer produce is shown
    # on its own).
    reasons: dict[str, str] = {}
    if found.answers:
        try:
            assessment = screen.assess(screen.parse_answers(found.answers), screen.ScreenSettings())
            reasons = {rule.code: rule.reason for rule in assessment.rules}
        except (screen.ScreenError, ValueError, TypeError):
            reasons = {}
    return [RuleLine(code, reasons.get(code, "")) for code in found.rule_codes or []]


def view_intake(
    booking: Booking, *, role: StaffRole, therapist_id: int | None, actor: Actor, now: datetime
) -> IntakeView:
    """Return the booking's screen and clearances for a permitted viewer, and audit the view.

    Raises NotAllowed for reception and for a therapist who is not this booking's. Writes
    ``intake.viewed`` (no health data in the details) and commits.
    """
    if not may_see_health(role, therapist_id, booking):
        raise NotAllowed()
    found = db.session.scalar(select(Intake).where(Intake.booking_id == booking.id))
    clearance_ids = (
        {found.covered_by_clearance_id} if found and found.covered_by_clearance_id else set()
    )
    clearances = list(
        db.session.scalars(
            select(Clearance)
            .where(or_(Clearance.booking_id == booking.id, Clearance.id.in_(clearance_ids)))
            .order_by(Clearance.attested_at)
        )
    )
    view = IntakeView(
        booking=booking,
        intake=found,
        answers=answer_lines(found.answers if found else None),
        rules=_rule_lines(found) if found else [],
        clearances=clearances,
    )
    # The lock before the write (SQLite): this runs in a GET, after the reads above.
    with write_transaction():
        record("intake.viewed", actor=actor, now=now, booking=booking, role=role.value)
    return view
