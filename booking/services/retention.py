"""Retention: health answers and booking drafts are not kept longer than they are needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from booking.extensions import db
from booking.models import Booking, BookingDraft, Intake
from booking.services import audit
from booking.services.audit import Actor
from booking.services.locking import commit as commit_or_unknown

DRAFT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    answers_removed: int
    drafts_removed: int


def purge(*, now: datetime) -> PurgeReport:
    """Delete screen answers of bookings never confirmed, older than the retention period.

    DOMAIN.md section 5: 90 days by default (RETENTION_UNCONFIRMED_ANSWERS_DAYS). The outcome
    and rule codes stay (they are not the answers); the answers become NULL. Unfinished
    booking drafts older than a day go too. Idempotent; commits.
    """
    days = int(current_app.config["RETENTION_UNCONFIRMED_ANSWERS_DAYS"])
    cutoff = now - timedelta(days=days)
    never_confirmed = select(Booking.id).where(
        Booking.confirmed_at.is_(None), Booking.created_at < cutoff
    )
    removed = db.session.execute(
        update(Intake)
        .where(Intake.answers.is_not(None), Intake.booking_id.in_(never_confirmed))
        .values(answers=None, purged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    drafts = db.session.execute(
        delete(BookingDraft).where(BookingDraft.updated_at < now - DRAFT_LIFETIME)
    ).rowcount
    if removed:
        audit.record("retention.answers_purged", actor=Actor.system(), now=now, count=removed)
    commit_or_unknown()
    return PurgeReport(answers_removed=removed, drafts_removed=drafts)
