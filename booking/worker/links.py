"""The link an email carries, minted when it is sent: a manage link, or for the
follow-up after a session a link to its questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.models import MessageKind
from booking.services import manage_links
from booking.services.followup import sending


@dataclass(frozen=True)
class _BookingRef:
    """All ``manage_links.mint`` reads of a booking: its id (no ORM row across commits)."""

    id: int


def mint(kind: MessageKind, booking_id: int, *, now: datetime) -> str | None:
    """Add the link for a ``kind`` message about the booking to the session; return its
    token (None when there is nothing to link to)."""
    if kind is MessageKind.FOLLOW_UP:
        return sending.mint(booking_id, now=now)
    return manage_links.mint(_BookingRef(booking_id), now=now)  # type: ignore[arg-type]
