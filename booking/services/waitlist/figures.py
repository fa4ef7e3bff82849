"""The waitlist's figures for the admin home: times refilled this month, and their share.

A month is the clinic's calendar month. "Refilled" counts offers claimed in it; the share is
of the times freed in it (``FreedTime``) that a claimed offer later filled: same therapist,
an overlapping time, claimed after it came free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, select

from booking.extensions import db
from booking.models import FreedTime, OfferState, WaitlistOffer
from booking.services import availability


@dataclass(frozen=True)
class Refills:
    month: str  # e.g. "March 2027"
    refilled: int  # offers claimed this month
    freed: int  # times freed this month
    freed_refilled: int  # of those, filled from the waitlist

    @property
    def share(self) -> int | None:
        """Whole per cent of freed times refilled, or None when none were freed."""
        return None if not self.freed else round(100 * self.freed_refilled / self.freed)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(availability.clinic_zone())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        following = start.replace(year=start.year + 1, month=1)
    else:
        following = start.replace(month=start.month + 1)
    # Local midnights (zoneinfo gives each its own offset), compared as UTC instants.
    return start.astimezone(UTC), following.astimezone(UTC)


def refills(*, now: datetime) -> Refills:
    zone = availability.clinic_zone()
    first, after = month_bounds(now)
    refilled = db.session.scalar(
        select(func.count(WaitlistOffer.id)).where(
            WaitlistOffer.state == OfferState.CLAIMED,
            WaitlistOffer.decided_at >= first,
            WaitlistOffer.decided_at < after,
        )
    )
    in_month = and_(FreedTime.freed_at >= first, FreedTime.freed_at < after)
    freed = db.session.scalar(select(func.count(FreedTime.id)).where(in_month))
    filled = exists().where(
        WaitlistOffer.state == OfferState.CLAIMED,
        WaitlistOffer.therapist_id == FreedTime.therapist_id,
        WaitlistOffer.starts_at < FreedTime.ends_at,
        WaitlistOffer.ends_at > FreedTime.starts_at,
        WaitlistOffer.decided_at >= FreedTime.freed_at,
    )
    freed_refilled = db.session.scalar(select(func.count(FreedTime.id)).where(in_month, filled))
    return Refills(
        month=f"{first.astimezone(zone):%B %Y}",
        refilled=refilled or 0,
        freed=freed or 0,
        freed_refilled=freed_refilled or 0,
    )
