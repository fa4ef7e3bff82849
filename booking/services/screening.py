"""The pain screen as the booking verbs use it: settings, counters, clearance cover (with
what the follow-ups after a clearance reported)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import exists, select

from booking import deferred
from booking.extensions import db
from booking.intake import (
    Assessment,
    Outcome,
    ScreenAnswers,
    ScreenError,
    ScreenSettings,
    is_material_change,
)
from booking.intake import parse_answers as _parse
from booking.models import (
    ApprovalState,
    Clearance,
    ClearanceOutcome,
    FollowUp,
    Patient,
    ScreenOutcomeCount,
    Service,
)
from booking.policy import ClinicPolicy
from booking.services.clinic_settings import current_policy

# The wording of the consent checkbox and of the clearance attestation change rarely; the
# version is stored beside each answer so we know what the person agreed to.
CONSENT_VERSION = "2026-11"
ATTESTATION_VERSION = "2026-11"


def settings(policy: ClinicPolicy | None = None) -> ScreenSettings:
    """The pure screen's thresholds from ``policy`` (default: the one in force)."""
    return ScreenSettings(hold_pain_score=(policy or current_policy()).screen_hold_pain_score)


def count_outcome(
    outcome: Outcome,
    *,
    now: datetime,
    policy: ClinicPolicy | None = None,
    with_commit: bool = False,
) -> None:
    """Add one to today's anonymous counter for ``outcome``, in the caller's transaction.

    The only trace an EMERGENCY or URGENT screen leaves: no answers, no person, no time
    finer than the clinic-local day. One upsert, so concurrent screens never collide, and
    no commit of its own: the count belongs to the change that records it.
    ``with_commit``: sent with the transaction's commit (``booking.deferred``).
    """
    day = now.astimezone((policy or current_policy()).zone).date()
    counted = {"day": day, "outcome": outcome.value, "count": 1}
    row = deferred.row_insert(ScreenOutcomeCount.__table__, counted, on_conflict=_add_one)
    if with_commit:
        deferred.insert(*row)
    else:
        db.session.execute(*row)


def _add_one(statement):
    return statement.on_conflict_do_update(
        index_elements=["day", "outcome"],
        set_={"count": ScreenOutcomeCount.count + 1},
    )


# Restriction ticks that rule out a deep-pressure service.
NO_DEEP_PRESSURE_TICKS = frozenset({"light_pressure_only", "no_deep_pressure"})


def has_restrictions(ticks, text: str | None) -> bool:
    """Any restriction counts, ticked or written (DOMAIN.md section 2)."""
    return bool(set(ticks or ())) or bool((text or "").strip())


def restrictions_conflict(ticks, text: str | None, service: Service) -> bool:
    """Say whether restrictions rule ``service`` out.

    A deep-pressure service conflicts with "no deep pressure" or "light pressure only", and
    with any restriction written in words: a machine cannot read those, so a person decides
    (the therapist, or reception with a recorded reason).
    """
    if not service.deep_pressure:
        return False
    return bool(NO_DEEP_PRESSURE_TICKS & set(ticks or ())) or bool((text or "").strip())


def _valid(email: str, now: datetime):
    return (
        Patient.id == Clearance.patient_id,
        Patient.email == email,
        Clearance.outcome.in_(
            [ClearanceOutcome.CLEARED, ClearanceOutcome.CLEARED_WITH_RESTRICTIONS]
        ),
        Clearance.approval.in_([ApprovalState.NOT_NEEDED, ApprovalState.APPROVED]),
        Clearance.valid_until > now,
    )


def _valid_clearances(email: str, *, now: datetime):
    return db.session.scalars(
        select(Clearance)
        .join(Patient, Patient.id == Clearance.patient_id)
        .where(*_valid(email, now))
        .order_by(Clearance.attested_at.desc())
    )


def any_valid_clearance(email: str, *, now: datetime):
    """SQL: whether the patient with ``email`` has a still-valid clearance.

    Without one, no restriction binds them and no clearance covers a screen, so a caller
    that asked this in a statement of its own facts skips both look-ups.
    """
    return exists().where(*_valid(email, now))


def binding_restrictions(email: str, *, now: datetime) -> list[Clearance]:
    """Every still-valid clearance of the patient that carries restrictions.

    Restrictions bind every booking the clearance could cover, for its whole validity.
    """
    return [
        c
        for c in _valid_clearances(email, now=now)
        if has_restrictions(c.restriction_ticks, c.restrictions)
    ]


def restrictions_rule_out_deep_pressure(email: str | None, *, now: datetime) -> bool:
    """Say whether the patient's valid clearances rule out every deep-pressure service."""
    if not email:
        return False
    return any(
        bool(NO_DEEP_PRESSURE_TICKS & set(c.restriction_ticks or ()))
        or bool(c.restrictions.strip())
        for c in binding_restrictions(email, now=now)
    )


def conflicting_clearance(email: str, service: Service, *, now: datetime) -> Clearance | None:
    """The patient's valid clearance whose restrictions rule ``service`` out, if any."""
    for clearance in binding_restrictions(email, now=now):
        if restrictions_conflict(clearance.restriction_ticks, clearance.restrictions, service):
            return clearance
    return None


def deep_pressure_ruled_out(
    assessment: Assessment | None, email: str | None, *, now: datetime
) -> bool:
    """Say whether deep pressure is ruled out for this patient: by today's screen, or by
    the restrictions of a valid clearance of theirs (known once they gave ``email``)."""
    if assessment is not None and assessment.no_deep_pressure:
        return True
    return restrictions_rule_out_deep_pressure(email, now=now)


def unsuitable(
    service: Service, assessment: Assessment | None, email: str | None, *, now: datetime
) -> Literal["screen", "restrictions"] | None:
    """Why ``service`` must not be booked for this patient, if it must not: the screen rules
    deep pressure out, or a valid clearance's restrictions rule the service out. The same
    rules the booking verbs refuse by, for the steps that come before a booking."""
    if not service.deep_pressure:
        return None
    if assessment is not None and assessment.no_deep_pressure:
        return "screen"
    if email and conflicting_clearance(email, service, now=now) is not None:
        return "restrictions"
    return None


def covering_clearance(
    email: str,
    answers: ScreenAnswers,
    *,
    now: datetime,
    service: Service | None = None,
    policy: ClinicPolicy | None = None,
) -> Clearance | None:
    """Return a still-valid clearance of the patient that covers today's answers, if any.

    DOMAIN.md section 2: a clearance is valid for six months for the same episode; a
    material change in the answers (or restrictions that no longer fit ``service``) needs a
    new one, and so does a material change reported in a follow-up after the clearance.
    """
    rules = settings(policy)
    for clearance in _valid_clearances(email, now=now):
        if clearance.screen_answers is None:
            continue
        if service is not None and restrictions_conflict(
            clearance.restriction_ticks, clearance.restrictions, service
        ):
            continue
        try:
            previous = _parse(clearance.screen_answers)
        except ScreenError:  # answers stored under older rules that no longer parse
            continue
        if is_material_change(previous, answers, rules):
            continue
        # What the patient told us after a session counts as a change too, whatever the
        # new screen says.
        later = screens_since(email, clearance.attested_at)
        if any(is_material_change(previous, screen, rules) for screen in later):
            continue
        return clearance
    return None


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
            screens.append(_parse(stored or {}))
        except ScreenError:  # stored under older rules
            continue
    return screens
