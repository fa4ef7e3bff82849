"""Database wiring: the engine's per-connection settings and the models' registration."""

from __future__ import annotations

import contextlib
import sqlite3
from functools import partial

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from booking.extensions import db, migrate

MIGRATIONS_DIR = "migrations"


def _serialise_sqlite_writes() -> None:
    """Start a state-changing request's transaction with SQLite's write lock held.

    A deferred transaction that reads and then writes cannot wait for the lock: if another
    process (the worker) committed since its read, SQLite refuses the upgrade at once
    ("database is locked"), busy timeout or not. Taking the lock first makes writers queue
    for up to the busy timeout instead. PostgreSQL needs none of this.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    session = db.session()
    # A session already in a transaction (tests that keep one app context across
    # requests) keeps it; every real request starts with a fresh session.
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000))
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        # Several threads (and processes) share the file; a writer waits rather than fails.
        options.setdefault("connect_args", {"timeout": busy_ms / 1000, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    import booking.models  # noqa: F401  (registers every table)

    db.init_app(app)
    app.before_request(_serialise_sqlite_writes)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", partial(_sqlite_busy_timeout, busy_ms))
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
    # WAL lets readers go on while one writer writes; a read-only medium may refuse it.
    with contextlib.suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_busy_timeout(busy_ms: int, dbapi_connection, connection_record) -> None:
    # How long a writer waits for the lock (SQLITE_BUSY_TIMEOUT_MS) before giving up with
    # "database is locked", which the error handlers answer with a 503.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        # Transactions that will write ask for BEGIN IMMEDIATE (services.locking, and every
        # POST: see _serialise_sqlite_writes); reads stay deferred so they run side by side.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")
