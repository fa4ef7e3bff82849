"""Rows a transaction writes and never reads back, sent together just before its commit.

A booking writes, after the booking row itself, its audit row, its manage link, its
intake, its confirmation in the outbox and the day's screen count; nothing in the
transaction reads any of them again. Queued here, they cost one statement on PostgreSQL
(data-modifying CTEs: one round trip and no unit-of-work flush) and one each on SQLite.

``services.locking.commit`` sends them after its flush, so a refused row surfaces as
itself, before the COMMIT ("nothing was saved" is then certain); the session's
``before_commit`` hook sends whatever another commit path left, and a rollback drops them
with the rest of the transaction.
"""

from __future__ import annotations

from sqlalchemy import Insert, event
from sqlalchemy.orm import Session

from booking.extensions import db

_KEY = "booking_deferred_inserts"


def insert(statement: Insert) -> None:
    """Queue ``statement`` (an INSERT needing nothing back) for the current transaction."""
    db.session().info.setdefault(_KEY, []).append(statement)


def pending(session: Session | None = None) -> int:
    """How many queued inserts the session holds."""
    return len((session or db.session()).info.get(_KEY, ()))


def send(session: Session | None = None) -> None:
    """Send the queued inserts now, in the order they were queued (one statement on
    PostgreSQL)."""
    session = session or db.session()
    queued = session.info.pop(_KEY, None)
    if not queued:
        return
    if session.get_bind().dialect.name != "postgresql":
        for statement in queued:
            session.execute(statement)
        return
    *first, last = queued
    if first:
        last = last.add_cte(*(s.cte(f"deferred_{n}") for n, s in enumerate(first)))
    session.execute(last)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session: Session) -> None:
    send(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, _previous) -> None:
    session.info.pop(_KEY, None)
