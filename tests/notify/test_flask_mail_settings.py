"""Flask-Mail's settings decide how mail leaves: credentials, STARTTLS, implicit TLS, suppress.

Each test runs a real aiosmtpd server on loopback configured the way a mail provider would be,
and a real worker pass delivers a real confirmation to it.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxStatus
from booking.notify import transport
from booking.worker.delivery import deliver_due
from tests.notify.conftest import Collector, free_port
from tests.support.notify import book, ensure_queued, make_clinic, messages

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Server:
    """aiosmtpd with the options a provider sets (TLS, required sign-in), keeping what arrives."""

    def __init__(self, *, sign_in: bool = False, **options) -> None:
        self.port = free_port()
        self.handler = Collector()
        self.logins: list[tuple[str, str]] = []
        if sign_in:
            options.update(authenticator=self.authenticate, auth_required=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("clinic", "s3cret"), handled=False)


@pytest.fixture
def tls_files(tmp_path) -> tuple[Path, Path]:
    return _certificate(tmp_path)


@pytest.fixture
def running() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.controller.stop()


def _start(running: list[Server], **options) -> Server:
    server = Server(**options)
    server.controller.start()
    running.append(server)
    return server


def _deliver(make_app, **settings):
    """One confirmation queued and one worker pass; the outbox row afterwards."""
    app = make_app(MAIL_TIMEOUT_SECONDS=5, **settings)
    with app.app_context():
        clinic = make_clinic()
        with clock.frozen(NOW):
            booking = book(clinic, START, now=NOW)
            ensure_queued(MessageKind.BOOKED, booking, now=NOW)
            deliver_due(NOW + timedelta(seconds=5))
        (queued,) = messages(booking.id)
        db.session.refresh(queued)
        return queued.status, queued.last_error


def _tls(tls_files, monkeypatch) -> ssl.SSLContext:
    """The server's TLS context; the client trusts exactly its certificate (SSL_CERT_FILE)."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return context


def test_the_sign_in_named_by_mail_username_and_password_reaches_the_server(
    make_app, running, tls_files, monkeypatch
):
    # As providers do: sign-in only after STARTTLS.
    server = _start(
        running, sign_in=True, tls_context=_tls(tls_files, monkeypatch), require_starttls=True
    )
    status, _ = _deliver(
        make_app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="clinic",
        MAIL_PASSWORD="s3cret",
    )
    assert status is OutboxStatus.SENT
    assert server.logins == [("clinic", "s3cret")]
    (received,) = server.handler.received
    assert received.rcpt_tos == ["jane.doe@example.org"]


def test_a_refused_sign_in_delivers_nothing_and_is_retried_later(
    make_app, running, tls_files, monkeypatch
):
    server = _start(
        running, sign_in=True, tls_context=_tls(tls_files, monkeypatch), require_starttls=True
    )
    status, error = _deliver(
        make_app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="clinic",
        MAIL_PASSWORD="wrong",
    )
    assert status is OutboxStatus.FAILED  # tried; tried again later
    assert "Authentication" in (error or "") or "535" in (error or "")
    assert server.handler.received == []


def test_starttls_delivers_to_a_server_whose_certificate_is_trusted(
    make_app, running, tls_files, monkeypatch
):
    server = _start(running, tls_context=_tls(tls_files, monkeypatch), require_starttls=True)
    status, _ = _deliver(
        make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=True
    )
    assert status is OutboxStatus.SENT
    assert len(server.handler.received) == 1


def test_starttls_refuses_a_server_whose_certificate_is_not_trusted(make_app, running, tls_files):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _start(running, tls_context=context, require_starttls=True)
    status, error = _deliver(
        make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=True
    )
    # Flask-Mail alone would start TLS without checking and send; this must not.
    assert status is OutboxStatus.FAILED  # tried; tried again later
    assert "CERTIFICATE_VERIFY_FAILED" in (error or "")
    assert server.handler.received == []


def test_a_server_that_requires_starttls_refuses_plain_mail(make_app, running, tls_files):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _start(running, tls_context=context, require_starttls=True)
    status, _ = _deliver(make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    assert status is OutboxStatus.FAILED  # tried; tried again later
    assert server.handler.received == []


def test_suppress_send_keeps_mail_off_the_server_and_writes_the_file(make_app, running):
    server = _start(running)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=True)
    with app.app_context():
        clinic = make_clinic()
        with clock.frozen(NOW):
            booking = book(clinic, START, now=NOW)
            ensure_queued(MessageKind.BOOKED, booking, now=NOW)
            counts = deliver_due(NOW + timedelta(seconds=5))
        assert counts["sent"] == 1
        (queued,) = messages(booking.id)
        assert transport.eml_path(queued).exists()
    assert server.handler.received == []


def test_testing_mode_alone_does_not_suppress_sending(make_app, running):
    # Flask-Mail suppresses whenever TESTING is on unless told otherwise; the app tells it.
    server = _start(running)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    assert app.testing
    assert app.extensions["mail"].suppress is False
    status, _ = _deliver(make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    assert status is OutboxStatus.SENT
    assert len(server.handler.received) == 1
