"""Database wiring: the engine's per-connection settings and the models' registration."""

from __future__ import annotations

import contextlib
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from booking.extensions import db, migrate

MIGRATIONS_DIR = "migrations"


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        # Several threads (and processes) share the file; a writer waits rather than fails.
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    import booking.models  # noqa: F401  (registers every table)

    db.init_app(app)
    from booking import PROJECT_ROOT

    migrate.init_app(app, db, directory=str(PROJECT_ROOT / MIGRATIONS_DIR), render_as_batch=True)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (the
    # documented pysqlite recipe); see _sqlite_on_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    # WAL lets readers go on while one writer writes; a read-only medium may refuse it.
    with contextlib.suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        # A write transaction asks for BEGIN IMMEDIATE (see services.locking): it takes the
        # database's write lock up front, so two writers queue instead of deadlocking.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")
