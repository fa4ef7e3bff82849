"""Recording booked times that come free before they begin (for the refill figures).

Called by the verbs that free a time, inside their transaction: the record and the change
commit or roll back together. A time already begun frees nothing anyone could take.
"""

from __future__ import annotations

from datetime import datetime

from booking.extensions import db
from booking.models import Booking, FreedTime


def record(
    booking: Booking,
    cause: str,
    *,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    therapist_id: int | None = None,
) -> None:
    """Note that ``booking``'s time (or the given old time of a move) came free at ``now``."""
    start = starts_at or booking.starts_at
    if start <= now:
        return
    db.session.add(
        FreedTime(
            freed_at=now,
            starts_at=start,
            ends_at=ends_at or booking.ends_at,
            service_id=booking.service_id,
            therapist_id=therapist_id or booking.therapist_id,
            cause=cause,
            booking_id=booking.id,
        )
    )
