"""The database helpers under the fixtures: a fixed "now", emptying every table, and
watching the statements a piece of code sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event, text

from booking.extensions import db

# A fixed instant for tests that need "now": a Wednesday, well away from any DST change.
DEFAULT_NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def empty_database() -> None:
    """Delete every row (the schema and alembic_version stay) and commit.

    Inside a test's rolled-back transaction this only releases a savepoint; the fixtures
    call it for real after a ``committed`` test.
    """
    # cache_versions keeps its row: the triggers that bump it are part of the schema.
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "cache_versions"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@contextmanager
def statements_sent(*, control: bool = False) -> Iterator[list[str]]:
    """Collect the SQL statements sent meanwhile, whitespace folded; transaction control
    (BEGIN, SAVEPOINT, ...) only with ``control``."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        if control or statement.split(None, 1)[0].upper() not in CONTROL:
            sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
