"""A returning patient whose clearance carries restrictions, approved by the therapist."""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.models import ApprovalState, Clearance, ClearanceOutcome, ClinicianKind
from booking.services import bookings, catalog, clearance
from booking.services.audit import Actor
from tests.screens import severe

GENTLE = "therapeutic-back-massage"
DEEP = "deep-tissue-massage"


def restricted_patient(
    email: str,
    *,
    now: datetime,
    start: datetime,
    ticks: tuple[str, ...] = ("no_deep_pressure",),
    text: str = "",
    screen=None,
) -> Clearance:
    """Book a held gentle massage for ``email``, clear it with restrictions, approve it."""
    service = catalog.service_by_slug(GENTLE)
    held = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=start,
            name="Rita Restricted",
            email=email,
            phone="+447700900123",
            screen=screen or severe(),
        ),
        actor=Actor.patient(),
        now=now,
    ).booking
    result = clearance.attest(
        held.id,
        clearance.ClearanceStatement(
            # "Cleared" with a restriction is stored as cleared with restrictions.
            outcome=ClearanceOutcome.CLEARED,
            clinician_name="Dr Patel",
            clinician_kind=ClinicianKind.GP,
            consultation_date=now.date(),
            restriction_ticks=ticks,
            restrictions=text,
            truthful=True,
        ),
        actor=Actor.patient(),
        now=now + timedelta(minutes=5),
    )
    assert result.result == "awaiting_approval"
    assert result.clearance.outcome is ClearanceOutcome.CLEARED_WITH_RESTRICTIONS
    clearance.decide(
        held.id, approve=True, actor=Actor.staff(None), now=now + timedelta(minutes=10)
    )
    assert result.clearance.approval is ApprovalState.APPROVED
    return result.clearance
