"""The hostile suite's shared fixtures: a real SMTP server on loopback for the mail tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from booking.extensions import mail
from tests.notify.conftest import SmtpServer, free_port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 and a free port, keeping every message's bytes."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sending_app(app: Flask, smtp_server: SmtpServer) -> Iterator[Flask]:
    """The test app, its worker sending through ``smtp_server``.

    Flask-Mail reads its settings when it is bound to the app, so it is bound again to the
    changed settings, and its first binding put back afterwards (the app outlives the test).
    """
    bound = app.extensions["mail"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_TIMEOUT_SECONDS=5)
    mail.init_app(app)
    yield app
    app.extensions["mail"] = bound
