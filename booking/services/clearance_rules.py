"""What a clearance must say, and what it binds: the checks a statement passes before
anything is recorded, whether a booking may take one now, and the restrictions that bind a
booking. Reads only; the verbs that record and act on a clearance are in
``services.clearance`` (which callers import these names from).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from booking import registration
from booking.extensions import db
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    ClinicianKind,
)
from booking.policy import ClinicPolicy
from booking.services import reasons, screening
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError

RESTRICTION_TICKS = {
    "avoid_area": "Avoid an area",
    "light_pressure_only": "Light pressure only",
    "no_deep_pressure": "No deep pressure",
}
# Ticks that rule out a deep-pressure service.
_NO_DEEP = {"light_pressure_only", "no_deep_pressure"}


@dataclass(frozen=True)
class ClearanceStatement:
    """What the patient, the clinician on their own link, or staff (from a phone call,
    letter or email) tell us."""

    outcome: ClearanceOutcome
    clinician_name: str = ""
    clinician_kind: ClinicianKind | None = None
    consultation_date: date | None = None
    restriction_ticks: tuple[str, ...] = ()
    restrictions: str = ""
    source: ClearanceSource = ClearanceSource.PATIENT
    # The clinician's professional registration number (their own link only).
    registration: str = ""
    staff_reason: str = ""
    truthful: bool = False  # "this is true and I will tell you if anything changes"
    extra: dict = field(default_factory=dict)


def validate(
    statement: ClearanceStatement, *, now: datetime, policy: ClinicPolicy | None = None
) -> None:
    """Raise BookingError naming the field when the statement cannot be accepted."""
    policy = policy or current_policy()
    if statement.source is ClearanceSource.PATIENT:
        if not statement.clinician_name.strip():
            raise BookingError("invalid", "Please tell us who you saw.", field="clinician_name")
        if statement.clinician_kind is None:
            raise BookingError(
                "invalid",
                "Please tell us what kind of clinician they are.",
                field="clinician_kind",
            )
        if statement.consultation_date is None:
            raise BookingError(
                "invalid", "Please give the date you saw them.", field="consultation_date"
            )
        if not statement.truthful:
            raise BookingError("invalid", "Please confirm that this is true.", field="truthful")
    elif statement.source is ClearanceSource.CLINICIAN:
        _validate_clinician(statement)
    else:
        reasons.check_reason(statement.staff_reason, field="staff_reason")
    if statement.consultation_date is not None:
        today = now.astimezone(policy.zone).date()
        max_age = policy.clearance_max_age_days
        if statement.consultation_date > today:
            raise BookingError(
                "invalid", "The date can't be in the future.", field="consultation_date"
            )
        if statement.consultation_date < today - timedelta(days=max_age):
            raise BookingError(
                "invalid",
                f"The consultation must be within the last {max_age} days; please check "
                "with your clinician again.",
                field="consultation_date",
            )
    unknown = set(statement.restriction_ticks) - set(RESTRICTION_TICKS)
    if unknown:
        raise BookingError("invalid", "Unknown restriction.", field="restriction_ticks")


def _validate_clinician(statement: ClearanceStatement) -> None:
    if not statement.clinician_name.strip():
        raise BookingError("invalid", "Please give your name.", field="clinician_name")
    if statement.clinician_kind is None:
        raise BookingError("invalid", "Please tell us your role.", field="clinician_kind")
    try:
        registration.clean_registration(statement.clinician_kind.value, statement.registration)
    except registration.RegistrationInvalid as error:
        raise BookingError("invalid", str(error), field="registration") from None
    if not statement.truthful:
        raise BookingError(
            "invalid", "Please confirm that this is your professional opinion.", field="truthful"
        )


def conflicts_with_restrictions(booking: Booking, ticks) -> bool:
    """The ticked restrictions rule out the booking's service (deep pressure)."""
    return booking.service.deep_pressure and bool(_NO_DEEP & set(ticks))


def effective_outcome(statement: ClearanceStatement) -> ClearanceOutcome:
    """Any restriction, ticked or written, makes "cleared" "cleared with restrictions"."""
    if statement.outcome is ClearanceOutcome.CLEARED and screening.has_restrictions(
        statement.restriction_ticks, statement.restrictions
    ):
        return ClearanceOutcome.CLEARED_WITH_RESTRICTIONS
    return statement.outcome


def can_attest(booking: Booking, now: datetime) -> bool:
    """Say whether the patient may send a clearance for ``booking`` now.

    A live hold with no clearance awaiting approval, or a hold that lapsed before its start
    (``attest`` re-reserves it if the time is still free). ``attest`` checks the same under
    the row lock; this is what the manage page offers.
    """
    live = booking.status is BookingStatus.HELD and booking.blocks_at(now)
    lapsed = (
        booking.status in (BookingStatus.HELD, BookingStatus.EXPIRED)
        and not booking.blocks_at(now)
        and booking.starts_at > now
    )
    return (live and pending_clearance(booking.id) is None) or lapsed


def pending_clearance(booking_id: int) -> Clearance | None:
    return db.session.scalar(
        select(Clearance).where(
            Clearance.booking_id == booking_id, Clearance.approval == ApprovalState.PENDING
        )
    )


@dataclass(frozen=True)
class BookingRestrictions:
    """The clinician's restrictions that bind one booking: tick labels and written words."""

    ticks: tuple[str, ...]
    notes: tuple[str, ...]


def restrictions_for(booking: Booking, *, now: datetime) -> BookingRestrictions | None:
    """Return the restrictions binding ``booking``, or None when none apply.

    Those of its own clearance (also while it awaits approval) and of every still-valid
    clearance of the same patient: restrictions bind every booking a clearance covers. Only
    therapists and admins may be shown the contents; reception only that some apply.
    """
    own = db.session.scalars(
        select(Clearance).where(
            Clearance.booking_id == booking.id,
            Clearance.outcome == ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            Clearance.approval != ApprovalState.REFUSED,
        )
    ).all()
    email = booking.patient.email if booking.patient else booking.contact_email
    found = {c.id: c for c in [*own, *screening.binding_restrictions(email, now=now)]}
    ticks: dict[str, None] = {}
    notes: dict[str, None] = {}
    for item in sorted(found.values(), key=lambda c: c.attested_at):
        for tick in item.restriction_ticks or ():
            ticks[RESTRICTION_TICKS.get(tick, tick)] = None
        if (item.restrictions or "").strip():
            notes[item.restrictions.strip()] = None
    if not ticks and not notes:
        return None
    return BookingRestrictions(tuple(ticks), tuple(notes))
