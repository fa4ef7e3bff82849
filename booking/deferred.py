"""Rows a transaction writes and never reads back, sent together just before its commit.

A booking writes, after the booking row itself, its audit row, its manage link, its
intake, its confirmation in the outbox and the day's screen count; nothing in the
transaction reads any of them again. Queued here, they cost one statement on PostgreSQL
(data-modifying CTEs: one round trip and no unit-of-work flush) and one each on SQLite.
:func:`insert_row` builds each row's INSERT once, with bind parameters, and the combined
statement once per sequence of INSERTs: building and keying the expressions anew for every
booking cost more than sending them.

``services.locking.commit`` sends them after its flush, so a refused row surfaces as
itself, before the COMMIT ("nothing was saved" is then certain); the session's
``before_commit`` hook sends whatever another commit path left, and a rollback drops them
with the rest of the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Insert, Table, bindparam, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from booking.extensions import db

_KEY = "booking_deferred_inserts"
# Built statements: per (table, columns, dialect, conflict clause), and the combined ones per
# sequence of statements (by identity: the statements are kept here, so no id is reused).
_ROWS: dict[tuple, Insert] = {}
_COMBINED: dict[tuple[int, ...], tuple[Insert, tuple[Insert, ...]]] = {}
_MAX_COMBINED = 256


def insert(statement: Insert, params: Mapping[str, Any] | None = None) -> None:
    """Queue ``statement`` (an INSERT needing nothing back) for the current transaction,
    with the values of its bind parameters."""
    db.session().info.setdefault(_KEY, []).append((statement, dict(params or {})))


def insert_row(
    table: Table,
    values: Mapping[str, Any],
    *,
    on_conflict: Callable[[Insert], Insert] | None = None,
) -> None:
    """Queue one row of ``table`` (see :func:`row_insert`)."""
    insert(*row_insert(table, values, on_conflict=on_conflict))


def row_insert(
    table: Table,
    values: Mapping[str, Any],
    *,
    on_conflict: Callable[[Insert], Insert] | None = None,
) -> tuple[Insert, dict[str, Any]]:
    """The INSERT of one row of ``table`` for this dialect, built once, and its parameters.

    ``on_conflict`` (a module-level function, part of the statement's identity) adds the
    ON CONFLICT clause. Run it now or queue it (:func:`insert`).
    """
    dialect = db.session.get_bind().dialect.name
    columns = tuple(values)
    key = (table.name, columns, dialect, on_conflict)
    statement = _ROWS.get(key)
    if statement is None:
        make = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = make(table).values(
            {c: bindparam(f"{table.name}__{c}", type_=table.c[c].type) for c in columns}
        )
        if on_conflict is not None:
            statement = on_conflict(statement)
        statement = _ROWS.setdefault(key, statement)
    return statement, {f"{table.name}__{c}": value for c, value in values.items()}


def pending(session: Session | None = None) -> int:
    """How many queued inserts the session holds."""
    return len((session or db.session()).info.get(_KEY, ()))


def send(session: Session | None = None) -> None:
    """Send the queued inserts now, in the order they were queued (on PostgreSQL one
    statement for each run in which no INSERT and no parameter name repeats)."""
    session = session or db.session()
    queued = session.info.pop(_KEY, None)
    if not queued:
        return
    if session.get_bind().dialect.name != "postgresql":
        for statement, params in queued:
            session.execute(statement, params)
        return
    run: list[tuple[Insert, dict]] = []
    names: set[str] = set()
    for statement, params in queued:
        if any(statement is other for other, _ in run) or not names.isdisjoint(params):
            _send_combined(session, run)
            run, names = [], set()
        run.append((statement, params))
        names.update(params)
    _send_combined(session, run)


def _send_combined(session: Session, run: list[tuple[Insert, dict]]) -> None:
    statements = tuple(statement for statement, _ in run)
    key = tuple(id(statement) for statement in statements)
    combined = _COMBINED.get(key)
    if combined is None:
        *first, last = statements
        if first:
            last = last.add_cte(*(s.cte(f"deferred_{n}") for n, s in enumerate(first)))
        if len(_COMBINED) >= _MAX_COMBINED:
            _COMBINED.clear()
        combined = _COMBINED.setdefault(key, (last, statements))
    params: dict[str, Any] = {}
    for _, values in run:
        params.update(values)
    session.execute(combined[0], params)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session: Session) -> None:
    send(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, _previous) -> None:
    session.info.pop(_KEY, None)
