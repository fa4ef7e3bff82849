"""Transports: hand a composed email's bytes to SMTP through Flask-Mail, or to a file.

With ``MAIL_SERVER`` set, Flask-Mail's configuration (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_SUPPRESS_SEND``, ``MAIL_DEBUG``) and its connection deliver the message. The bytes
themselves go through the connection's SMTP session (``Connection.host``) rather than
``flask_mail.Message``, whose builder cannot make the MIME tree ICS.md rule 2 needs (see
:mod:`booking.notify.compose`); ``sendmail`` sends our bytes untouched.

Without ``MAIL_SERVER`` (the development default), or with ``MAIL_SUPPRESS_SEND``, each email
is written to ``<instance>/mail/<created>-<id>-<kind>.eml``, atomically, so a reader never sees
half a file.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from pathlib import Path

import flask_mail
from flask import current_app

from booking.notify.compose import ComposedEmail, QueuedEmail
from booking.notify.settings import setting

# Errors worth retrying: the server or the network, not the message.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError, smtplib.SMTPException)


class VerifiedConnection(flask_mail.Connection):
    """Flask-Mail's connection, with a timeout and certificate checks.

    Flask-Mail opens the socket without a timeout (a silent server would stall the worker
    past its claim's lease) and starts TLS without checking the server's certificate or name;
    this connects the same way from the same settings, with both.
    """

    def __init__(self, state, timeout: float) -> None:
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        context = ssl.create_default_context()
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout, context=context)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(state.debug))
            if state.use_tls and not state.use_ssl:
                host.starttls(context=context)
            if state.username:
                host.login(state.username, state.password or "")
        except BaseException:
            host.close()
            raise
        return host


def connect() -> VerifiedConnection:
    """Return an unopened connection from the app's Flask-Mail settings (``with`` opens it)."""
    state = current_app.extensions["mail"]
    return VerifiedConnection(state, timeout=float(setting("MAIL_TIMEOUT_SECONDS")))


def mail_dir() -> Path:
    return Path(current_app.instance_path) / "mail"


def eml_path(item: QueuedEmail) -> Path:
    stamp = item.created_at.strftime("%Y%m%dT%H%M%SZ")
    return mail_dir() / f"{stamp}-{item.id}-{item.kind}.eml"


def send(item: QueuedEmail, email: ComposedEmail) -> str:
    """Deliver ``email``; return a short description of where it went.

    Raises one of :data:`TRANSIENT_ERRORS` when delivery failed and may work later.
    """
    if setting("MAIL_SERVER") and not current_app.extensions["mail"].suppress:
        return _send_smtp(email)
    return _write_file(item, email)


def _send_smtp(email: ComposedEmail) -> str:
    with connect() as connection:
        # Bytes in, bytes out: sendmail does not re-encode them (only dot-stuffing).
        refused = connection.host.sendmail(email.envelope_from, [email.envelope_to], email.raw)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
    state = current_app.extensions["mail"]
    return f"smtp://{state.server}:{state.port}"


def _write_file(item: QueuedEmail, email: ComposedEmail) -> str:
    target = eml_path(item)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(email.raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)
