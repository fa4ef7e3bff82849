"""The booking flow's server-side draft; the session cookie carries only its key."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import session
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from booking import clock
from booking.extensions import db
from booking.models import BookingDraft
from booking.services.locking import OutcomeUnknown, write_transaction

log = logging.getLogger(__name__)

SESSION_KEY = "booking_draft"


def load() -> dict[str, Any]:
    """Return the current draft's data (empty when there is none)."""
    key = session.get(SESSION_KEY)
    draft = db.session.get(BookingDraft, key) if isinstance(key, str) else None
    return dict(draft.data) if draft is not None else {}


def save(**changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the draft (creating it) and commit; return the new data.

    Runs in a write transaction (the lock first, then the read), so a GET that saves, such
    as the review page minting its form key, never fails to upgrade a read on SQLite.
    """
    with write_transaction():
        return stage(**changes)


def stage(**changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the draft inside the caller's write transaction."""
    key = session.get(SESSION_KEY)
    draft = db.session.get(BookingDraft, key) if isinstance(key, str) else None
    now = clock.now()
    if draft is None:
        draft = BookingDraft(id=secrets.token_urlsafe(32), data={}, created_at=now)
        db.session.add(draft)
        session[SESSION_KEY] = draft.id
    data = dict(draft.data)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    draft.data = data
    draft.updated_at = now
    return data


def discard() -> None:
    key = session.pop(SESSION_KEY, None)
    if isinstance(key, str):
        with write_transaction():
            db.session.execute(delete(BookingDraft).where(BookingDraft.id == key))


def discard_quietly() -> None:
    """Discard the draft after a booking's commit; a failure is logged, never answered.

    The session cookie forgets the draft either way; a row left behind is removed by the
    retention purge.
    """
    try:
        discard()
    except (SQLAlchemyError, OutcomeUnknown):
        log.warning("booking draft not discarded", exc_info=True)
