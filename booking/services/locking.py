"""Serialised write transactions: lock, re-check, write (STYLE.md, "Lock, re-check, write").

SQLite: ``BEGIN IMMEDIATE`` takes the single write lock before anything is read, so the
availability re-check inside the transaction sees every committed booking and no other
writer can slip in before the commit. PostgreSQL: an ordinary transaction; the exclusion
constraints on therapist and room time ranges refuse the loser of a race at the database,
and the verb turns that refusal into "that time was just taken".

A write transaction starts clean: a verb that finds changes pending on the session (added,
changed or flushed but not committed, by whoever called it) refuses with PendingChanges
rather than committing them as its own. A commit is a verb's last write. When the connection
fails during the commit itself, the outcome is unknown (the server may have committed before
the reply was lost): that is ``OutcomeUnknown``, never "nothing was saved".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from booking import deferred
from booking.extensions import db

T = TypeVar("T")
log = logging.getLogger(__name__)

# Whether the work in hand may write: every SQLite transaction begun meanwhile is
# BEGIN IMMEDIATE (see booking.database). A request that changes state sets it for its
# whole length, so every transaction it begins, not only the first, queues for the lock
# instead of reading first and then failing to upgrade ("database is locked").
_writing: ContextVar[bool] = ContextVar("booking_writing", default=False)
# Whether a write transaction committed during the current request: an error after that
# must not be answered with "nothing was saved".
_committed: ContextVar[bool] = ContextVar("booking_committed", default=False)


def may_write() -> bool:
    return _writing.get()


def start_request(*, may_write: bool) -> None:
    """Mark the current request as one that may write, or not, with nothing committed yet."""
    _writing.set(may_write)
    _committed.set(False)


def committed_in_request() -> bool:
    return _committed.get()


class OutcomeUnknown(Exception):
    """The connection failed while committing: the change may or may not have been kept.

    Raised instead of the driver's error, so the answer says so honestly and asks for a
    retry that the verb's idempotency key (form key, Idempotency-Key) makes safe. A verb
    may give ``message``, the words the person is shown.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "the commit's outcome is unknown")
        self.message = message


class PendingChanges(RuntimeError):
    """A write transaction was asked to start while the session held uncommitted changes.

    A programming error: whatever made those changes must run inside the verb's own
    transaction (or commit them itself), not ride along with the next verb's commit.
    """


_FLUSHED = "booking_flushed_writes"


@event.listens_for(Session, "after_flush")
def _note_flushed_writes(session: Session, _context) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flushed_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one: its writes are committed or gone
        session.info.pop(_FLUSHED, None)


_KEPT = "booking_kept_loaded"


@event.listens_for(Session, "after_begin")
def _refresh_what_was_kept(session: Session, _transaction, _connection) -> None:
    # Objects a commit kept loaded (commit(keep_loaded=True)) serve the answer about that
    # commit; the session's next transaction must not take them for fresh.
    if session.info.pop(_KEPT, False):
        session.expire_all()


def pending_changes(session: Session | None = None) -> bool:
    """Say whether ``session`` holds changes not yet committed (unflushed or flushed)."""
    session = session or db.session()
    return bool(session.new or session.dirty or session.deleted or session.info.get(_FLUSHED))


@contextmanager
def write_transaction(
    *, keep_loaded: bool = False, go_on_reading: bool = False
) -> Iterator[Session]:
    """Run the block in one write transaction; commit on success, roll back on any error.

    Ends any read-only transaction the request had already begun, so the lock is taken
    before the re-check reads; refuses (PendingChanges) when that transaction holds
    changes. Raises OutcomeUnknown when the commit itself fails on a broken connection;
    any error before the commit rolls back (nothing is kept).

    ``go_on_reading``: on PostgreSQL the read-only transaction goes on as the write one
    instead, with what it loaded. For a caller whose earlier reads need no refreshing
    (the catalogue a request was checked against): under READ COMMITTED every statement
    sees what was committed when it began either way, and ending the transaction would
    keep nothing and cost a COMMIT, a BEGIN and a pool check. SQLite always starts afresh
    (its write lock must come before the re-check reads). ``keep_loaded``: see
    :func:`commit`.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if pending_changes(session):
        raise PendingChanges(
            "a write transaction cannot start with uncommitted changes on the session: "
            f"{len(session.new)} new, {len(session.dirty)} changed, "
            f"{len(session.deleted)} deleted, flushed={bool(session.info.get(_FLUSHED))}"
        )
    sqlite = session.get_bind().dialect.name == "sqlite"
    if session.in_transaction() and (sqlite or not go_on_reading):
        commit(session)  # a read-only transaction: ending it keeps nothing new
    if sqlite:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield session
        session.flush()
    except BaseException:
        _quiet_rollback(session)
        raise
    commit(session, keep_loaded=keep_loaded)
    _committed.set(True)


def commit(session: Session | None = None, *, keep_loaded: bool = False) -> None:
    """Commit, turning a failure of the commit itself into OutcomeUnknown.

    Everything was flushed before, so an error here is about the connection or the
    COMMIT, not about a statement; whether the server applied it cannot be known.
    ``keep_loaded``: the objects the transaction loaded or wrote are not expired, so an
    answer built from them after the commit reads nothing more from the database (a read
    that failed there would turn a success into an error). They hold what this
    transaction saw and wrote, which is what the answer must say.
    """
    session = session or db.session()
    try:
        session.flush()  # a refused statement surfaces as itself, before the COMMIT
        deferred.send(session)  # so do the rows queued for the commit
    except BaseException:
        _quiet_rollback(session)  # certain: nothing was committed
        raise
    expire = session.expire_on_commit
    session.expire_on_commit = expire and not keep_loaded
    try:
        session.commit()
        if keep_loaded:
            session.info[_KEPT] = True
    except DBAPIError as error:
        _quiet_rollback(session)
        log.warning(
            "commit failed, outcome unknown: %s",
            type(error.orig).__name__,
            extra={"event": "database.commit_unknown"},
        )
        raise OutcomeUnknown() from error
    finally:
        session.expire_on_commit = expire


@contextmanager
def reading() -> Iterator[None]:
    """Run read-only work in its own short (deferred) transaction, even in a writing request.

    A refusal's alternatives are computed this way, so the loser of a race does not hold
    SQLite's write lock while it looks for other times.
    """
    token = _writing.set(False)
    session = db.session()
    try:
        if session.in_transaction():
            session.commit()
        yield
    finally:
        _writing.reset(token)
        _quiet_rollback(session)


def _quiet_rollback(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:  # the connection is gone: nothing is kept on it either
        session.invalidate()


# Deadlock and serialisation failure (PostgreSQL): the database aborted this transaction
# so another could go on; retrying re-runs the re-check, which then sees the winner's
# committed row and refuses properly. A lock wait that ran out (lock_timeout, SQLite's
# busy timeout) is not retried: the request has waited its share and answers 503.
_TRANSIENT_SQLSTATES = {"40P01", "40001"}


def is_transient(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def run_in_write_transaction(
    work: Callable[[], T],
    *,
    attempts: int = 4,
    keep_loaded: bool = False,
    go_on_reading: bool = False,
) -> T:
    """Run ``work`` in a write transaction, retrying when the database asks us to.

    Two writers inserting rows that collide on both exclusion constraints (therapist and
    room) can deadlock on PostgreSQL; the database aborts one, and the retry turns that
    into an ordinary refusal. Anything else ``work`` raises propagates after rollback;
    a failed commit raises OutcomeUnknown. ``keep_loaded`` and ``go_on_reading``: see
    :func:`write_transaction`.
    """
    for attempt in range(1, attempts + 1):
        try:
            # A retry starts afresh: the failed attempt was rolled back.
            with write_transaction(keep_loaded=keep_loaded, go_on_reading=go_on_reading):
                return work()
        except OperationalError as error:
            if attempt == attempts or not is_transient(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover
