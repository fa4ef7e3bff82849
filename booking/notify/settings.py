"""The mail and worker settings, with their defaults, and the clinic's mail identity.

Every value can be overridden like any other setting (``instance/config.py`` or a
``FLASK_*`` environment variable, e.g. ``FLASK_MAIL_RETRY_BASE_SECONDS=30``).
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "MAIL_SERVER": None,  # None: write .eml files under instance/mail/ instead of sending
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # implicit TLS (port 465)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_TIMEOUT_SECONDS": 10,
    "MAIL_RETRY_BASE_SECONDS": 60,  # first retry after this, then doubling
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_MAX_ATTEMPTS": 8,  # then the message is dead (reception sees it)
    # How long a claim reserves a message for one worker. The worker renews it before each
    # message and every third of it while talking to the mail server, so a live worker is
    # never overtaken; a crashed one's messages are retried once it runs out (within a
    # minute with the poll below).
    "MAIL_CLAIM_LEASE_SECONDS": 45,
    "WORKER_POLL_SECONDS": 5,
    "WORKER_BATCH_SIZE": 20,
    "REMINDER_OFFSETS_HOURS": [24],
    # Hold reminders (DOMAIN.md section 2): this long after booking, and this long before
    # the hold expires.
    "HOLD_REMINDER_AFTER_BOOKING_HOURS": 24,
    "HOLD_REMINDER_BEFORE_EXPIRY_HOURS": 6,
    # Where links in emails and the CLI point. Unset: SERVER_NAME if set, else the
    # development server.
    "PUBLIC_BASE_URL": None,
    # The staff feed shows bookings from this many days back.
    "FEED_PAST_DAYS": 30,
}


def setting(name: str) -> Any:
    """Return the configured value of ``name``, or its default above."""
    config = current_app.config
    value = config.get(name)
    return DEFAULTS[name] if value is None else value


def sender() -> Address:
    """Return the From address (``MAIL_DEFAULT_SENDER``), which is also the ORGANIZER."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    if isinstance(configured, (tuple, list)):
        name, addr = configured
    else:
        name, addr = parseaddr(configured)
    if "@" not in addr:
        raise ValueError(f"MAIL_DEFAULT_SENDER has no usable address: {configured!r}")
    return Address(display_name=name or current_app.config["CLINIC_NAME"], addr_spec=addr)


def clinic_domain() -> str:
    """Return the domain of the sending mailbox: UIDs and Message-IDs are made under it."""
    return sender().domain


def calendar_uid(public_id: str) -> str:
    """Return the one calendar UID of a booking, for every message and file about it."""
    return f"{public_id}@{clinic_domain()}"


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def public_url(path: str) -> str:
    """Return an absolute URL for ``path`` (which starts with ``/``) on the public site."""
    base = setting("PUBLIC_BASE_URL")
    if not base:
        server = current_app.config.get("SERVER_NAME")
        scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
        base = f"{scheme}://{server}" if server else "http://127.0.0.1:5000"
    return base.rstrip("/") + path


def manage_url(token: str) -> str:
    return public_url(f"/manage/{token}")
