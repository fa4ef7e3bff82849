"""Manage links: minting, finding and revoking the tokens behind ``/manage/<token>``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from booking import deferred
from booking.extensions import db
from booking.models import Booking, ManageToken
from booking.tokens import (  # noqa: F401  (session_token: the manage page's links)
    SESSION_SEPARATOR,
    looks_like_token,
    new_token,
    session_token,
    token_hash,
)


def mint(booking: Booking, *, now: datetime, with_commit: bool = False) -> str:
    """Add a new link for ``booking`` to the session and return its token (shown once).

    ``with_commit``: written with the transaction's commit (``booking.deferred``), for a
    verb that never reads the link back.
    """
    token = new_token()
    values = {"booking_id": booking.id, "token_hash": token_hash(token), "created_at": now}
    if with_commit:
        deferred.insert_row(ManageToken.__table__, {**values, "revoked_at": None})
    else:
        db.session.add(ManageToken(**values))
    return token


def find_booking(token: str) -> Booking | None:
    """Return the booking a live token opens, or None for any miss (same answer for all).

    A link of one session of a course opens every session of it: ``<token>~<n>`` is
    session n of the same course (by ``course_id``, so never another patient's booking).
    """
    base, separator, session = token.partition(SESSION_SEPARATOR)
    if not looks_like_token(base):
        return None
    if separator and not (session.isascii() and session.isdigit() and 0 < len(session) <= 2):
        return None
    booking = db.session.scalar(
        select(Booking)
        .join(ManageToken, ManageToken.booking_id == Booking.id)
        .where(ManageToken.token_hash == token_hash(base), ManageToken.revoked_at.is_(None))
    )
    if booking is None or not separator:
        return booking
    if booking.course_id is None:
        return None
    if booking.course_session == int(session):
        return booking
    return db.session.scalar(
        select(Booking).where(
            Booking.course_id == booking.course_id, Booking.course_session == int(session)
        )
    )


def revoke_all(booking: Booking, *, now: datetime) -> int:
    """Revoke every link of ``booking`` (inside the caller's transaction); return how many."""
    return db.session.execute(
        update(ManageToken)
        .where(ManageToken.booking_id == booking.id, ManageToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
