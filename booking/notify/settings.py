"""The mail and worker settings, with their defaults, and the clinic's mail identity.

Every value can be overridden like any other setting (``instance/config.py`` or a
``FLASK_*`` environment variable, e.g. ``FLASK_MAIL_RETRY_BASE_SECONDS=30``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from booking.ics import clean_line

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
    # Where every absolute link points (emails, calendar files, feeds, API answers). Required
    # outside debug and testing; unset there: SERVER_NAME if set, else this machine on $PORT.
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
    if isinstance(configured, list):
        configured = tuple(configured)
    return _sender(configured, current_app.config["CLINIC_NAME"])


# Parsed once per setting: every booking names its Message-ID and UID under this domain.
@lru_cache(maxsize=16)
def _sender(configured: str | tuple, clinic_name: str) -> Address:
    if isinstance(configured, tuple):
        name, addr = configured
    else:
        name, addr = parseaddr(configured)
    if "@" not in addr:
        raise ValueError(f"MAIL_DEFAULT_SENDER has no usable address: {configured!r}")
    # One line whatever the settings hold (create_app refuses worse); headers.py encodes it.
    display = clean_line(str(name or clinic_name))
    return Address(display_name=display, addr_spec=addr)


def clinic_domain() -> str:
    """Return the domain of the sending mailbox: UIDs and Message-IDs are made under it."""
    return sender().domain


def calendar_uid(public_id: str) -> str:
    """Return the one calendar UID of a booking, for every message and file about it."""
    return f"{public_id}@{clinic_domain()}"


def development_base_url() -> str:
    """This machine on the port ``make run`` serves on (``PORT``, which it passes to both the
    web server and the worker, so a worker with no request still knows it)."""
    port = os.environ.get("PORT", "").strip()
    return f"http://127.0.0.1:{port if port.isdigit() else 5000}"


def public_url(path: str) -> str:
    """Return an absolute URL for ``path`` (which starts with ``/``) on the public site.

    Only configuration decides the scheme, host and port: a request's Host header never does.
    """
    base = setting("PUBLIC_BASE_URL")
    if not base:
        server = current_app.config.get("SERVER_NAME")
        scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
        base = f"{scheme}://{server}" if server else development_base_url()
    return base.rstrip("/") + path


def manage_url(token: str) -> str:
    return public_url(f"/manage/{token}")


def follow_up_url(token: str) -> str:
    return public_url(f"/follow-up/{token}")


def configuration_problems(config: Mapping[str, Any], *, production: bool) -> list[str]:
    """Return why the mail identity or the public base URL cannot be used (empty: fine).

    The clinic's name and sender go into every From header, so they are held to the rules of
    any header value: one line, no control characters, no encoded words. In production the
    public base URL must be set: links are never made from the Host a request names.
    """
    from booking import validation
    from booking.notify import headers

    problems = []
    sender_value = config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender_value, (tuple, list)):
        sender_value = " ".join(str(part) for part in sender_value)
    for key, value in (
        ("CLINIC_NAME", config.get("CLINIC_NAME")),
        ("MAIL_DEFAULT_SENDER", sender_value),
    ):
        try:
            validation.clean_text(str(value or ""), max_length=400)
        except validation.InvalidInput as error:
            problems.append(f"{key} cannot go into a mail header: {error}")
    _, addr = parseaddr(str(sender_value))
    try:
        headers.addr_spec(addr)
    except headers.HeaderValueError:
        problems.append(f"MAIL_DEFAULT_SENDER has no usable address: {sender_value!r}")
    base = config.get("PUBLIC_BASE_URL")
    if base:
        parts = urlsplit(str(base))
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path.strip("/")
            or parts.query
            or parts.fragment
            or not str(base).isascii()
            or not str(base).isprintable()
            or " " in str(base)
        ):
            problems.append(
                f"PUBLIC_BASE_URL must be a bare http(s) origin such as "
                f"https://book.clinic.example, not {base!r}"
            )
    elif production:
        problems.append(
            "PUBLIC_BASE_URL is not set: set FLASK_PUBLIC_BASE_URL to the address patients "
            "use (https://book.clinic.example); links are never taken from the Host header"
        )
    return problems
