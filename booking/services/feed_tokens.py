"""Calendar feed URLs: one per therapist or for the whole clinic, shown once, revocable.

Only the token's hash is stored; a revoked feed answers 404 from then on.
"""

from __future__ import annotations

from datetime import datetime

from booking.extensions import db
from booking.models import FeedToken, Therapist
from booking.services.audit import Actor, record
from booking.services.catalog_input import text_field
from booking.services.errors import CatalogError
from booking.services.locking import write_transaction
from booking.tokens import new_token, token_hash


def create(
    *, therapist_id: int | None, label: str, actor: Actor, now: datetime
) -> tuple[FeedToken, str]:
    """Create a feed for one therapist (or the whole clinic when None); return it and its token.

    The token is returned once: only its hash is stored, so it cannot be shown again.
    """
    label = text_field(label, "label", max_length=100)
    with write_transaction():
        if therapist_id is not None and db.session.get(Therapist, therapist_id) is None:
            raise CatalogError(
                "unknown_therapist", "There is no such therapist.", field="therapist"
            )
        token = new_token()
        row = FeedToken(
            therapist_id=therapist_id, token_hash=token_hash(token), label=label, created_at=now
        )
        db.session.add(row)
        db.session.flush()
        record(
            "feed_token.created",
            actor=actor,
            now=now,
            feed_token_id=row.id,
            therapist_id=therapist_id,
        )
    return row, token


def revoke(row: FeedToken, *, actor: Actor, now: datetime) -> None:
    """Revoke a feed URL: it answers 404 from now on. Revoking twice changes nothing."""
    with write_transaction():
        if row.revoked_at is not None:
            return
        row.revoked_at = now
        record("feed_token.revoked", actor=actor, now=now, feed_token_id=row.id)
