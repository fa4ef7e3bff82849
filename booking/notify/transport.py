"""Transports: hand a composed email's bytes to SMTP, or to a file in development.

With ``MAIL_SERVER`` set, the bytes go to that server through :mod:`smtplib` with a
timeout. Flask-Mail is not used here because it sends only messages it built itself
(``flask_mail.Message``), and that builder cannot make the MIME tree ICS.md rule 2 needs
(see :mod:`booking.notify.compose`); ``smtplib.SMTP.sendmail`` sends our bytes untouched.

Without ``MAIL_SERVER`` (the development default) each email is written to
``<instance>/mail/<created>-<id>-<kind>.eml``, atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from pathlib import Path

from flask import current_app

from booking.notify.compose import ComposedEmail, QueuedEmail
from booking.notify.settings import setting

# Errors worth retrying: the server or the network, not the message.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError, smtplib.SMTPException)


def mail_dir() -> Path:
    return Path(current_app.instance_path) / "mail"


def eml_path(item: QueuedEmail) -> Path:
    stamp = item.created_at.strftime("%Y%m%dT%H%M%SZ")
    return mail_dir() / f"{stamp}-{item.id}-{item.kind}.eml"


def send(item: QueuedEmail, email: ComposedEmail) -> str:
    """Deliver ``email``; return a short description of where it went.

    Raises one of :data:`TRANSIENT_ERRORS` when delivery failed and may work later.
    """
    if setting("MAIL_SERVER"):
        return _send_smtp(email)
    return _write_file(item, email)


def _send_smtp(email: ComposedEmail) -> str:
    host = setting("MAIL_SERVER")
    port = int(setting("MAIL_PORT"))
    timeout = float(setting("MAIL_TIMEOUT_SECONDS"))
    smtp_class = smtplib.SMTP_SSL if setting("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if setting("MAIL_USE_TLS") and not setting("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        username = setting("MAIL_USERNAME")
        if username:
            smtp.login(username, setting("MAIL_PASSWORD") or "")
        # Bytes in, bytes out: sendmail does not re-encode them (only dot-stuffing).
        refused = smtp.sendmail(email.envelope_from, [email.envelope_to], email.raw)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
    return f"smtp://{host}:{port}"


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
