"""What every calendar shares: the checks on the values it is given and the VCALENDAR shell.

Each check either returns the value as it will be written or raises :class:`ValueError`:
naive datetimes, ``end <= start``, a negative sequence, an unknown status, an address that
is not a plain email or a URL that is not absolute http(s).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal, get_args
from urllib.parse import urlsplit

from icalendar import Calendar

from booking.ics.text import clean_line

Status = Literal["tentative", "confirmed", "cancelled"]
Method = Literal["REQUEST", "CANCEL"]

_STATUSES: frozenset[str] = frozenset(get_args(Status))
METHODS: frozenset[str] = frozenset(get_args(Method))


# A deliberately plain address check: this module is not the place to validate mailboxes
# (forms do that); it only refuses anything that could break out of a ``mailto:`` value.
_EMAIL = re.compile(r"[^\s@\"<>();:,\\\[\]]+@[^\s@\"<>();:,\\\[\]]+\.[^\s@\"<>();:,\\\[\]]+")


def required_line(value: str, field: str) -> str:
    cleaned = clean_line(value)
    if not cleaned:
        raise ValueError(f"{field} must not be empty")
    return cleaned


def mailto(address: str, field: str) -> str:
    """Return ``mailto:<address>`` after checking the address cannot escape the URI."""
    if not _EMAIL.fullmatch(address):
        raise ValueError(f"{field} is not a plain email address: {address!r}")
    return f"mailto:{address}"


def checked_uid(uid: str) -> str:
    # The UID is made by us, once, and reused forever; refusing anything odd here is better
    # than emitting an identifier that a calendar server normalises into a different one.
    if not uid or not uid.isascii() or not uid.isprintable() or " " in uid:
        raise ValueError(f"uid must be non-empty printable ASCII without spaces: {uid!r}")
    return uid


def http_url(url: str, field: str) -> str:
    if url != clean_line(url) or " " in url:
        raise ValueError(f"{field} must not contain spaces or control characters")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError(f"{field} must be an absolute http(s) URL: {url!r}")
    return url


def to_utc(value: datetime, field: str) -> datetime:
    """Convert an aware datetime to UTC, to the whole second (iCalendar has no fractions)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got naive {value!r}")
    # ``datetime.UTC`` (not a zoneinfo key) is what icalendar writes as the ``Z`` form.
    return value.astimezone(UTC).replace(microsecond=0)


def utc_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = to_utc(start, "start"), to_utc(end, "end")
    if end_utc <= start_utc:
        raise ValueError("end must be after start")
    return start_utc, end_utc


def checked_sequence(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"sequence must be an integer >= 0, got {value!r}")
    return value


def checked_status(value: str) -> str:
    if value not in _STATUSES:
        raise ValueError(f"status must be one of {sorted(_STATUSES)}, got {value!r}")
    return value


def _prodid(clinic_name: str) -> str:
    # RFC 5545 only asks for a globally unique text; the FPI-like form is what clients expect.
    # Slashes in the clinic name would blur the "//" separators, so they become spaces.
    name = clean_line(clinic_name.replace("/", " ")) or "Clinic"
    return f"-//{name}//Booking//EN"


def new_calendar(prodid_name: str, method: Method | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", _prodid(prodid_name))
    cal.add("version", "2.0")
    if method is not None:
        # METHOD belongs on VCALENDAR only (RFC 5546); the email's Content-Type must repeat it.
        cal.add("method", method)
    return cal
