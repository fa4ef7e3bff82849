"""Serialised write transactions: lock, re-check, write (STYLE.md, "Lock, re-check, write").

SQLite: ``BEGIN IMMEDIATE`` takes the single write lock before anything is read, so the
availability re-check inside the transaction sees every committed booking and no other
writer can slip in before the commit. PostgreSQL: an ordinary transaction; the exclusion
constraints on therapist and room time ranges refuse the loser of a race at the database,
and the verb turns that refusal into "that time was just taken".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from booking.extensions import db

T = TypeVar("T")


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


# Deadlock, serialisation failure, lock not available (PostgreSQL); "database is locked"
# (SQLite, past its busy timeout). Retrying re-runs the re-check, which then sees the
# winner's committed row and refuses properly.
_TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}


def is_transient(error: OperationalError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in _TRANSIENT_SQLSTATES or "database is locked" in str(error.orig)


def run_in_write_transaction(work: Callable[[], T], *, attempts: int = 4) -> T:
    """Run ``work`` in a write transaction, retrying when the database asks us to.

    Two writers inserting rows that collide on both exclusion constraints (therapist and
    room) can deadlock on PostgreSQL; the database aborts one, and the retry turns that
    into an ordinary refusal. Anything else ``work`` raises propagates after rollback.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction():
                return work()
        except OperationalError as error:
            if attempt == attempts or not is_transient(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover
