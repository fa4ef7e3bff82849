"""Manage links: minting, finding and revoking the tokens behind ``/manage/<token>``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking, ManageToken
from booking.tokens import looks_like_token, new_token, token_hash


def mint(booking: Booking, *, now: datetime) -> str:
    """Add a new link for ``booking`` to the session and return its token (shown once)."""
    token = new_token()
    db.session.add(ManageToken(booking_id=booking.id, token_hash=token_hash(token), created_at=now))
    return token


def find_booking(token: str) -> Booking | None:
    """Return the booking a live token opens, or None for any miss (same answer for all)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(Booking)
        .join(ManageToken, ManageToken.booking_id == Booking.id)
        .where(ManageToken.token_hash == token_hash(token), ManageToken.revoked_at.is_(None))
    )


def revoke_all(booking: Booking, *, now: datetime) -> int:
    """Revoke every link of ``booking`` (inside the caller's transaction); return how many."""
    return db.session.execute(
        update(ManageToken)
        .where(ManageToken.booking_id == booking.id, ManageToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
