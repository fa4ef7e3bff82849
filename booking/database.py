"""Database wiring: the engine's per-connection settings and the models' registration."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from functools import partial

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from booking.extensions import db, migrate
from booking.services import locking

MIGRATIONS_DIR = "migrations"
log = logging.getLogger(__name__)


def _serialise_sqlite_writes() -> None:
    """Start a state-changing request's transaction with SQLite's write lock held.

    A deferred transaction that reads and then writes cannot wait for the lock: if another
    process (the worker) committed since its read, SQLite refuses the upgrade at once
    ("database is locked"), busy timeout or not. Taking the lock first makes writers queue
    for up to the busy timeout instead. PostgreSQL needs none of this.
    """
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    # Set on every request, so a thread's earlier request never leaks its mode into this one.
    locking.start_request(may_write=writes)
    if not writes:
        return
    session = db.session()
    # A session already in a transaction (tests that keep one app context across
    # requests) keeps it; every real request starts with a fresh session.
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _postgresql_timeouts(app: Flask) -> str:
    """Return libpq ``options`` bounding every statement and every lock wait.

    A request stuck behind a lock (a migration, a long admin transaction) is refused after
    ``DATABASE_LOCK_TIMEOUT_MS`` with SQLSTATE 55P03, which the error handlers answer with a
    quick 503, instead of holding a worker until gunicorn kills it.

    The session's time zone is UTC whatever the server's default: every column is a UTC
    instant, and psycopg then returns them with ``datetime.UTC`` itself, so the thousands
    of instants of an availability window need no conversion at all.

    PostgreSQL's own choice of plan is kept (``plan_cache_mode=auto``): psycopg prepares a
    statement run five times, and a generic plan then saves planning each run, which for a
    booking's facts and re-check statements took longer than running them (about 2 ms
    each). Their generic plans are the custom ones: every condition that picks rows is an
    indexed equality or range (benchmarks/peer_booking.py measures it).
    """
    statement_ms = int(app.config["DATABASE_STATEMENT_TIMEOUT_MS"])
    lock_ms = int(app.config["DATABASE_LOCK_TIMEOUT_MS"])
    return f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms} -c timezone=UTC"


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
    read_busy_ms = int(app.config.get("SQLITE_READ_BUSY_TIMEOUT_MS", 5000))
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        # Several threads (and processes) share the file; a writer waits rather than fails.
        options.setdefault("connect_args", {"timeout": busy_ms / 1000, "check_same_thread": False})
    elif uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", _postgresql_timeouts(app))
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    import booking.models  # noqa: F401  (registers every table)

    db.init_app(app)
    _replace_session_teardown(app)
    app.before_request(_serialise_sqlite_writes)
    # Whatever runs on this thread after the request (a test, a CLI command) starts afresh.
    app.teardown_request(lambda exc: locking.start_request(may_write=False))
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", partial(_sqlite_busy_timeout, busy_ms, read_busy_ms))
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


def _sqlite_busy_timeout(
    busy_ms: int, read_busy_ms: int, dbapi_connection, connection_record
) -> None:
    connection_record.info["busy_ms"] = (busy_ms, read_busy_ms)
    connection_record.info["busy_now"] = busy_ms
    # How long a writer waits for the lock (SQLITE_BUSY_TIMEOUT_MS) before giving up with
    # "database is locked", which the error handlers answer with a 503.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # Transactions that will write ask for BEGIN IMMEDIATE (services.locking, and every
    # transaction of a state-changing request: see _serialise_sqlite_writes); reads stay
    # deferred so they run side by side, and wait a shorter time for a lock (a reader
    # rarely waits at all under WAL; when it does, a quick 503 beats a stalled page).
    mode = conn.get_execution_options().get("sqlite_begin", "")
    if mode not in ("IMMEDIATE", "EXCLUSIVE") and locking.may_write():
        mode = "IMMEDIATE"
    info = conn.connection.info
    waits = info.get("busy_ms")
    if waits is not None:
        wait_ms = waits[0] if mode in ("IMMEDIATE", "EXCLUSIVE") else waits[1]
        if info.get("busy_now") != wait_ms:
            # On the driver's connection, only when it changes: a setting, not a statement.
            conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            info["busy_now"] = wait_ms
    conn.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")


def _replace_session_teardown(app: Flask) -> None:
    """Remove the request's session without ever raising out of the teardown.

    Flask-SQLAlchemy's own teardown rolls back and closes; on a dead connection that raises
    where no error handler runs, and the server answers with its bare error page. The
    response was already decided by then: a rollback that fails kept nothing either, so
    the error is logged and the connection thrown away.
    """
    funcs = app.teardown_appcontext_funcs
    funcs[:] = [f for f in funcs if getattr(f, "__func__", None) is not type(db)._teardown_session]
    app.teardown_appcontext(_remove_session)


def _remove_session(exc: BaseException | None) -> None:
    try:
        db.session.remove()
    except Exception:
        log.warning("session cleanup failed; connection discarded", exc_info=True)
        with contextlib.suppress(Exception):
            db.session.registry().invalidate()
        with contextlib.suppress(Exception):
            db.session.registry.clear()
