"""Retention: health answers and booking drafts are not kept longer than they are needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingDraft, Clearance, Intake, StaffNote
from booking.services import audit
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.locking import commit as commit_or_unknown

DRAFT_LIFETIME = timedelta(days=1)
# Audit details that can carry health words (staff reasons and notes).
HEALTH_DETAIL_KEYS = frozenset({"reason", "note", "override_reason", "restriction_override_reason"})


@dataclass(frozen=True)
class PurgeReport:
    answers_removed: int
    drafts_removed: int
    notes_removed: int = 0
    clearances_scrubbed: int = 0
    audit_details_scrubbed: int = 0


def purge(*, now: datetime) -> PurgeReport:
    """Delete the health data of bookings never confirmed, older than the retention period.

    DOMAIN.md section 5: 90 days by default (RETENTION_UNCONFIRMED_ANSWERS_DAYS). For such a
    booking the screen's answers, rule codes and flags, the patient's note, staff notes, the
    details of its clearances (clinician, restrictions, reasons, answers) and the health
    words of its audit trail (reasons, notes) go; the outcome, statuses and times stay.
    Unfinished booking drafts older than a day go too. Idempotent; commits.
    """
    days = current_policy().retention_unconfirmed_answers_days
    cutoff = now - timedelta(days=days)
    never_confirmed = select(Booking.id).where(
        Booking.confirmed_at.is_(None), Booking.created_at < cutoff
    )
    removed = db.session.execute(
        update(Intake)
        .where(Intake.purged_at.is_(None), Intake.booking_id.in_(never_confirmed))
        .values(answers=None, rule_codes=[], flags=[], purged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # The note is encrypted: an empty note cannot be told from a full one in SQL, so every
    # such booking is rewritten (cheap: a few rows a day).
    db.session.execute(
        update(Booking)
        .where(Booking.id.in_(never_confirmed))
        .values(patient_note="")
        .execution_options(synchronize_session=False)
    )
    notes = db.session.execute(
        delete(StaffNote)
        .where(StaffNote.booking_id.in_(never_confirmed))
        .execution_options(synchronize_session=False)
    ).rowcount
    clearances = db.session.execute(
        update(Clearance)
        .where(Clearance.booking_id.in_(never_confirmed))
        .values(
            screen_answers=None,
            clinician_name="",
            restrictions="",
            restriction_ticks=[],
            staff_reason="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    scrubbed = 0
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.booking_id.in_(never_confirmed))
    ):
        details = dict(event.details or {})
        if HEALTH_DETAIL_KEYS & details.keys():
            event.details = {k: v for k, v in details.items() if k not in HEALTH_DETAIL_KEYS}
            scrubbed += 1
    drafts = db.session.execute(
        delete(BookingDraft).where(BookingDraft.updated_at < now - DRAFT_LIFETIME)
    ).rowcount
    if removed:
        audit.record("retention.answers_purged", actor=Actor.system(), now=now, count=removed)
    commit_or_unknown()
    return PurgeReport(
        answers_removed=removed,
        drafts_removed=drafts,
        notes_removed=notes,
        clearances_scrubbed=clearances,
        audit_details_scrubbed=scrubbed,
    )
