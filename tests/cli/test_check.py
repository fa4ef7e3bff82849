"""``flask booking check``: each production check says OK or FAIL with a hint; exit 1 on FAIL."""

from __future__ import annotations

import base64
import os

import pytest

from booking.cli import check as cli_check

PRODUCTION = {
    "SECRET_KEY": "k" * 64,
    "SECURE_COOKIES": True,
    "SESSION_COOKIE_SECURE": True,
    "PREFERRED_URL_SCHEME": "https",
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 2525,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "DATA_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
}


class FakeSMTP:
    def __init__(self, host, port, timeout=None, **kwargs):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ehlo(self):
        return 250, b"hello"


class FakeRedis:
    def ping(self):
        return True

    def close(self):
        pass


@pytest.fixture
def healthy_services(monkeypatch):
    """SMTP and Redis that answer, without needing either on the machine."""
    monkeypatch.setattr(cli_check.smtplib, "SMTP", FakeSMTP)
    import redis

    monkeypatch.setattr(redis.Redis, "from_url", classmethod(lambda cls, *a, **k: FakeRedis()))


def run_check(app):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["booking", "check"])


def test_a_production_configuration_passes_every_check(make_app, healthy_services):
    result = run_check(make_app(**PRODUCTION))
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    for name in ("secret key", "database", "smtp", "rate-limit storage", "https"):
        assert f"OK   {name}" in result.output
    assert "migrated to head" in result.output
    assert "All checks passed." in result.output


def test_the_development_defaults_fail_with_hints(make_app, healthy_services):
    from booking.config import DEVELOPMENT_SECRET_KEY

    app = make_app(
        SECRET_KEY=DEVELOPMENT_SECRET_KEY,
        MAIL_SERVER=None,
        RATELIMIT_STORAGE_URI="memory://",
        SECURE_COOKIES=False,
        SESSION_COOKIE_SECURE=False,
        DATA_ENCRYPTION_KEYS=None,
    )
    result = run_check(app)
    assert result.exit_code == 1
    for name in ("secret key", "smtp", "rate-limit storage", "https"):
        assert f"FAIL {name}" in result.output
    assert "FLASK_SECRET_KEY" in result.output
    assert "hint:" in result.output
    assert "check(s) failed." in result.output


def test_an_unmigrated_database_fails(make_app, healthy_services, tmp_path):
    app = make_app(**PRODUCTION, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    result = run_check(app)
    assert result.exit_code == 1
    assert "FAIL database" in result.output
    assert "flask db upgrade" in result.output


def test_unreachable_smtp_and_redis_fail(make_app):
    # Port 1 on loopback: nothing listens there, so both refuse at once.
    app = make_app(
        **{**PRODUCTION, "MAIL_PORT": 1, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
    )
    result = run_check(app)
    assert result.exit_code == 1
    assert "FAIL smtp" in result.output
    assert "FAIL rate-limit storage" in result.output


def test_a_password_in_the_redis_url_is_not_printed(make_app):
    uri = "redis://:hunter2secret@127.0.0.1:1/0"
    result = run_check(make_app(**{**PRODUCTION, "RATELIMIT_STORAGE_URI": uri}))
    assert "hunter2secret" not in result.output


def test_a_malformed_data_encryption_key_fails(make_app, healthy_services):
    pytest.importorskip("booking.crypto")
    app = make_app(**PRODUCTION)
    # create_app itself refuses a malformed key; the check must say so too (e.g. for a
    # configuration about to be deployed), so change it after start-up.
    app.config["DATA_ENCRYPTION_KEYS"] = "not-a-key"
    result = run_check(app)
    assert result.exit_code == 1
    assert "FAIL data encryption keys" in result.output


def test_smtp_that_refuses_ehlo_fails(make_app, monkeypatch, healthy_services):
    class Refusing(FakeSMTP):
        def ehlo(self):
            return 554, b"go away"

    monkeypatch.setattr(cli_check.smtplib, "SMTP", Refusing)
    result = run_check(make_app(**PRODUCTION))
    assert "FAIL smtp" in result.output
