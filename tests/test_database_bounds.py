"""Bounded waits: PostgreSQL connections carry the statement and lock timeouts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from booking.extensions import db


def test_postgresql_connections_bound_statements_and_lock_waits(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite bounds waits with its busy timeouts instead")
    with db.engine.connect() as connection:
        lock = connection.execute(text("SHOW lock_timeout")).scalar()
        statement = connection.execute(text("SHOW statement_timeout")).scalar()
    assert lock == f"{app.config['DATABASE_LOCK_TIMEOUT_MS'] / 1000:g}s"
    assert statement == f"{app.config['DATABASE_STATEMENT_TIMEOUT_MS'] / 1000:g}s"
