"""Serialised write transactions: lock, re-check, write (STYLE.md, "Lock, re-check, write").

SQLite: ``BEGIN IMMEDIATE`` takes the single write lock before anything is read, so the
availability re-check inside the transaction sees every committed booking and no other
writer can slip in before the commit. PostgreSQL: an ordinary transaction; the exclusion
constraints on therapist and room time ranges refuse the loser of a race at the database,
and the verb turns that refusal into "that time was just taken".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from booking.extensions import db


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the block in one write transaction; commit on success, roll back on any error.

    Ends any read-only transaction the request had already begun, so the lock is taken
    before the re-check reads.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
