"""Shared fixtures: an application on a migrated database, emptied after every test.

The database comes from ``BOOKING_TEST_DATABASE_URL`` (PostgreSQL in ``make test-all``) or a
SQLite file in a temporary folder. The schema is built once per run by the real migrations,
so every test also proves they work on that database.
"""

from __future__ import annotations

import os
import smtplib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from booking import create_app
from booking.extensions import db

# A fixed instant for tests that need "now": a Wednesday, well away from any DST change.
DEFAULT_NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    # Tests never read the developer's instance/config.py or write to instance/.
    import tempfile

    os.environ["BOOKING_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="booking-test-instance-")


def _fresh_postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database beside the one ``url`` names; return its URL and a dropper.

    Each run gets its own database, so several runs (a developer's, CI's, parallel
    workers) never trample each other. The named database is only used to connect.
    """
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("BOOKING_TEST_DATABASE_URL")
    drop = None
    if url:
        url, drop = _fresh_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = _make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    if drop is not None:
        drop()


def _make_app(url: str, **overrides) -> Flask:
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "clinic.test",
    }
    settings.update(overrides)
    return create_app(settings)


def empty_database() -> None:
    """Delete every row (the schema and alembic_version stay)."""
    # cache_versions keeps its row: the triggers that bump it are part of the schema.
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "cache_versions"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(database_url: str):
    """Build an app on the test database with extra settings: ``make_app(FOO=1)``."""
    built: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = _make_app(database_url, **overrides)
        built.append(app)
        return app

    yield factory
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo clinic as ``make run`` seeds it, without its fortnight of bookings."""
    from booking.demo import seed_demo

    seed_demo(now=DEFAULT_NOW, with_bookings=False)


@pytest.fixture(autouse=True)
def _no_real_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would open an SMTP connection beyond this machine."""
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise AssertionError(f"test tried to reach a real SMTP server at {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)
