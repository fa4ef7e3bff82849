"""The database helpers under the fixtures: a fixed "now", and emptying every table."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

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
