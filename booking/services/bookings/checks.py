"""The rules a new booking must pass before its time is re-checked.

The pain screen and what it holds, the restrictions of the patient's clearances, and
the online caps on future bookings and holds. Each raises BookingError when it refuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import any_, bindparam, distinct, func, literal_column, select, union

from booking import validation
from booking.extensions import db
from booking.intake import assess, patient_message
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Patient,
    Service,
)
from booking.policy import ClinicPolicy
from booking.services import (
    reasons,
    screening,
)
from booking.services.bookings.common import BookingRequest
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError

if TYPE_CHECKING:  # the facts ``book`` reads first
    from booking.services.bookings.making import _Facts


def _assess(
    request: BookingRequest,
    service: Service,
    now: datetime,
    *,
    cleared: bool = True,
    policy: ClinicPolicy | None = None,
):
    """Run the screen for ``request``; refuse what it says must not be booked.

    Returns the assessment (None for a staff booking made without a screen) and the id of
    a returning patient's valid clearance that covers it, if any (``cleared`` False: the
    caller knows the patient has no valid clearance).
    """
    assessment, clearance = _screen(request, service, now, cleared=cleared, policy=policy)
    return assessment, clearance.id if clearance is not None else None


def _screen(
    request: BookingRequest,
    service: Service,
    now: datetime,
    *,
    cleared: bool = True,
    policy: ClinicPolicy | None = None,
):
    """As :func:`_assess`, returning the covering clearance itself (its ``valid_until``)."""
    if request.screen is None:
        if request.source is BookingSource.ONLINE:
            raise BookingError(
                "screen_required", "Please answer the health questions first.", field="screen"
            )
        return None, None
    policy = policy or current_policy()
    assessment = assess(request.screen, screening.settings(policy))
    if not assessment.makes_booking:
        raise BookingError(
            assessment.outcome.value,
            patient_message(
                assessment.outcome,
                emergency_number=policy.emergency_number,
                urgent_number=policy.urgent_number,
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
    clearance = None
    if assessment.needs_clearance and request.email and cleared:
        clearance = screening.covering_clearance(
            request.email, request.screen, now=now, service=service, policy=policy
        )
    return assessment, clearance


def same_person_patterns(email: str) -> dict[str, str]:
    """The values :func:`_same_person` compares with: the canonical address and its tags."""
    local, _, domain = validation.canonical_email(email).rpartition("@")

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    return {
        "same_exact": f"{local}@{domain}",
        "same_tagged": f"{escaped(local)}+%@{escaped(domain)}",
    }


# An address in canonical form, in PostgreSQL (validation.canonical_email: lower case, no
# +tag). The constants are written into the SQL, not bound, so the expression is the one
# the indexes of migration a3c8e5f1d7b2 are built on: an equality on an indexed
# expression, where a LIKE with a bound pattern cannot use an index at all.
_TAGGED = literal_column("'^([^+@]+)[+][^@]*@'")
_UNTAGGED = literal_column(r"'\1@'")


def _canonical(column):
    return func.regexp_replace(func.lower(column), _TAGGED, _UNTAGGED)


def _same_person(column, email: str | None = None):
    """SQL: ``column`` is ``email`` or one of its ``+tag`` variants, in any case.

    Without ``email``, the statement takes them as the parameters "same_exact" and
    "same_tagged" (:func:`same_person_patterns`), so it can be built once and reused.
    """
    if email is None:
        exact, tagged = bindparam("same_exact"), bindparam("same_tagged")
    else:
        patterns = same_person_patterns(email)
        exact, tagged = patterns["same_exact"], patterns["same_tagged"]
    if db.session.get_bind().dialect.name == "postgresql":
        return _canonical(column) == exact
    lowered = func.lower(column)
    return (lowered == exact) | lowered.like(tagged, escape="\\")


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


def _cap_counts(email: str | None, now):
    """SQL: one row, the future bookings and the live holds of the person with ``email``.

    Counts live holds and confirmed bookings still to come, by the booking's contact email
    or its patient's, as one person whatever case or ``+tag`` each was typed with. The
    patients matching are found once, not joined to every future booking. A course counts
    once, however many of its sessions are to come or held: it was booked as one unit.
    ``email`` None and ``now`` a bind parameter: see :func:`_same_person`.
    """
    live_hold = (Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at > now)
    to_come = (Booking.starts_at > now) & (live_hold | (Booking.status == BookingStatus.CONFIRMED))
    matching_patients = select(Patient.id).where(_same_person(Patient.email, email))
    if db.session.get_bind().dialect.name == "postgresql":
        # = ANY(ARRAY(...)): an InitPlan, run once whatever the planner believes. As an IN,
        # statistics that still called the tables empty (a new clinic's first minute) made
        # it a nested loop matching every patient's address against every future booking.
        of_patient = Booking.patient_id == any_(func.array(matching_patients.scalar_subquery()))
    else:
        of_patient = Booking.patient_id.in_(matching_patients)
    # Two branches, not one OR: each can use its index (the contact address in canonical
    # form; the patient), where an OR with a subquery makes PostgreSQL filter every booking.
    columns = (Booking.id, Booking.course_id, live_hold.label("held"))
    mine = union(
        select(*columns).where(_same_person(Booking.contact_email, email), to_come),
        select(*columns).where(of_patient, to_come),
    ).subquery("mine")
    # A course's sessions share one negative key; other bookings keep their own id.
    unit = distinct(func.coalesce(-mine.c.course_id, mine.c.id))
    return select(
        func.count(unit).label("future"),
        func.count(unit).filter(mine.c.held).label("holds_now"),
    ).subquery("caps")


def _refuse_hold_squatting(
    facts: _Facts, *, hold: bool, policy: ClinicPolicy | None = None
) -> None:
    """Refuse an online booking that would give the person too many future bookings or holds.

    Raises BookingError("too_many") above BOOKING_MAX_FUTURE_PER_EMAIL, or, for a booking
    that will be held, above BOOKING_MAX_HOLDS_PER_EMAIL (counts from :func:`_cap_counts`).
    """
    policy = policy or current_policy()
    if facts.future >= policy.max_future_per_email or (
        hold and facts.holds_now >= policy.max_holds_per_email
    ):
        raise BookingError(
            "too_many",
            "You already have as many appointments booked with us as we can take online. "
            f"Please call us on {current_app.config['CLINIC_PHONE']} to book another.",
        )
