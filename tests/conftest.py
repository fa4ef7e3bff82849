"""Shared fixtures: one application per database for the whole run, each test in a transaction.

The database comes from ``BOOKING_TEST_DATABASE_URL`` (PostgreSQL in ``make test-all``) or a
SQLite file in a temporary folder. The schema is built once per run by the real migrations,
so every test also proves they work on that database. A second database, copied from the
first, holds the demo clinic, seeded once; tests that ask for ``demo`` run on it.

Every test runs inside one connection's transaction that is rolled back at its end. The
app's own ``commit()`` and ``rollback()`` work on a SAVEPOINT inside it (SQLAlchemy's
``join_transaction_mode="create_savepoint"``), so a verb that commits and then fails to
write behaves exactly as in production, and nothing a test writes outlives it.

Tests that need data committed for real, because another connection must see it (threads
racing, a second connection holding a lock, a server process), are marked
``@pytest.mark.committed``: they run on the plain database with real commits, and every
table is emptied after them.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection

from booking.extensions import db, limiter
from tests.support.apps import build_app
from tests.support.database import DEFAULT_NOW, empty_database

__all__ = ["DEFAULT_NOW", "empty_database"]  # imported from here by tests written earlier


def pytest_configure(config: pytest.Config) -> None:
    # Tests never read the developer's instance/config.py or write to instance/.
    import tempfile

    os.environ["BOOKING_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="booking-test-instance-")


# ---- databases ---------------------------------------------------------------------------


def _fresh_postgres_database(
    url: str, *, template: str | None = None
) -> tuple[str, Callable[[], None]]:
    """Create a database beside the one ``url`` names; return its URL and a dropper.

    Each run (and each xdist worker) gets its own database, so several runs never trample
    each other. The named database is only used to connect.
    """
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@dataclass
class _Databases:
    plain: str
    demo: str
    droppers: list[Callable[[], None]] = field(default_factory=list)


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    url = os.environ.get("BOOKING_TEST_DATABASE_URL")
    droppers: list[Callable[[], None]] = []
    if url:
        plain, drop = _fresh_postgres_database(url)
        droppers.append(drop)
    else:
        folder = tmp_path_factory.mktemp("db")
        plain = f"sqlite:///{folder / 'test.sqlite3'}"
    app = build_app(plain)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    if url:
        demo, drop = _fresh_postgres_database(url, template=make_url(plain).database)
        droppers.append(drop)
    else:
        # Every connection is closed, so the migrated schema is all in the main file.
        shutil.copyfile(make_url(plain).database, folder / "demo.sqlite3")
        demo = f"sqlite:///{folder / 'demo.sqlite3'}"
    seeder = build_app(demo)
    with seeder.app_context():
        from booking.demo import seed_demo

        seed_demo(now=DEFAULT_NOW, with_bookings=False)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield _Databases(plain, demo, droppers)
    for kept in _session_apps.values():
        with kept.app.app_context():
            db.engine.dispose()
    _session_apps.clear()
    for drop in droppers:
        drop()


@pytest.fixture(scope="session")
def database_url(_databases: _Databases) -> str:
    """The migrated, empty test database (committed tests write to it for real)."""
    return _databases.plain


# ---- applications ------------------------------------------------------------------------


@dataclass
class _SessionApp:
    """An app kept for the whole run, and what to put back after each test that used it."""

    app: Flask
    config: dict[str, Any]
    extensions: frozenset[str]

    def restore(self) -> None:
        self.app.config.clear()
        self.app.config.update(self.config)
        # Per-process caches an app grows lazily (the availability cache) start empty, as
        # the database they describe is back to where it was.
        for name in set(self.app.extensions) - self.extensions:
            del self.app.extensions[name]


_session_apps: dict[str, _SessionApp] = {}
# The rate limiter is one object that every create_app configures: what the session apps
# left it as, restored after any test that built an app of its own.
_limiter_state: dict[str, Any] = {}


def _session_app(url: str) -> _SessionApp:
    if url not in _session_apps:
        app = build_app(url)
        _session_apps[url] = _SessionApp(app, dict(app.config), frozenset(app.extensions))
        _limiter_state.clear()
        _limiter_state.update(vars(limiter))
    return _session_apps[url]


# ---- one transaction per test -------------------------------------------------------------


class _JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session, on the test's connection when the app uses that database.

    Flask-SQLAlchemy picks the app's engine itself and ignores ``bind``; an app on another
    database (a migration test's scratch file) keeps its own engine.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            own = self._db.engines[None]
            if own.url == self.bind.engine.url:
                return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@dataclass
class TestDatabase:
    """Where the current test's data lives, and whether it commits for real."""

    url: str
    committed: bool
    connection: Connection | None = None


@pytest.fixture
def test_database(request: pytest.FixtureRequest, _databases: _Databases) -> Iterator[TestDatabase]:
    committed = request.node.get_closest_marker("committed") is not None
    wants_demo = "demo" in request.fixturenames and not committed
    url = _databases.demo if wants_demo else _databases.plain
    base = _session_app(url)
    if committed:
        yield TestDatabase(url, committed=True)
        with base.app.app_context():
            db.session.remove()
            empty_database()
            db.session.remove()
    else:
        with base.app.app_context():
            connection = db.engine.connect()
        outer = connection.begin()
        if connection.dialect.name == "postgresql":
            # The schedule version is raised by deferred triggers, once, at COMMIT; here
            # commits only release savepoints and the outer transaction never commits, so
            # raise it at every change instead (the migration "schedule version at commit").
            connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
            connection.exec_driver_sql("SET LOCAL booking.schedule_version_each_change = 'on'")
        real_session = db.session
        db.session = db._make_scoped_session(
            {
                "class_": _JoinedSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield TestDatabase(url, committed=False, connection=connection)
        finally:
            # Sessions of app contexts still open; the others closed at their teardown.
            for session in list(db.session.registry.registry.values()):
                session.close()
            db.session = real_session
            outer.rollback()
            connection.close()
    base.restore()
    limiter.__dict__.update(_limiter_state)


@pytest.fixture
def make_app(test_database: TestDatabase):
    """Build a new app on the test's database with extra settings: ``make_app(FOO=1)``.

    Each call builds its own app (tests add routes to it or change its settings); it
    shares the test's transaction.
    """
    built: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = build_app(test_database.url, **overrides)
        built.append(app)
        return app

    yield factory
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(test_database: TestDatabase) -> Iterator[Flask]:
    """The run's app on the test's database, inside an app context."""
    app = _session_apps[test_database.url].app
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def demo(app: Flask, test_database: TestDatabase) -> None:
    """The demo clinic as ``make run`` seeds it, without its fortnight of bookings.

    Seeded once per run into its own database; a committed test seeds it afresh.
    """
    if test_database.committed:
        from booking.demo import seed_demo

        seed_demo(now=DEFAULT_NOW, with_bookings=False)


# ---- the rest of the machine ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_real_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would open an SMTP connection beyond this machine."""
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise AssertionError(f"test tried to reach a real SMTP server at {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def _quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Argon2id with the smallest cost for tests that sign staff in through an app.

    The real parameters cost ~100 ms a hash, most of the suite's time; the pure tests of
    booking/auth/passwords.py (which use no app) keep them and check them.
    """
    if "test_database" not in request.fixturenames:
        yield
        return
    from argon2 import PasswordHasher, Type

    from booking.auth import passwords

    monkeypatch.setattr(
        passwords,
        "_hasher",
        PasswordHasher(time_cost=1, memory_cost=16, parallelism=1, type=Type.ID),
    )
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()
