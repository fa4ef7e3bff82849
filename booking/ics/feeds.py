"""The staff subscription feed: one calendar of bookings, the same bytes until one changes.

A feed names a patient by first name and initial at most (:func:`short_patient_name`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Event, vDuration

from booking.ics.common import (
    Status,
    checked_sequence,
    checked_status,
    checked_uid,
    new_calendar,
    required_line,
    to_utc,
    utc_span,
)
from booking.ics.text import clean_line, clean_text

#: Subscribed calendars are asked to refresh hourly (RFC 7986 and the older Microsoft name).
FEED_REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEvent:
    """One booking as a staff calendar feed shows it.

    ``summary`` is written by the caller and must name the patient by first name and initial
    at most (see :func:`short_patient_name`), e.g. ``"Deep tissue massage - Jane D."``.
    ``description`` is optional, short, and like everything else holds no health details.
    ``last_modified`` (aware) is the booking's last change; it is written as both DTSTAMP and
    LAST-MODIFIED, which keeps the feed's bytes identical until something really changes.
    """

    uid: str
    start: datetime
    end: datetime
    summary: str
    status: Status
    last_modified: datetime
    sequence: int
    description: str | None = None


# A nickname in quotes or brackets, and generational suffixes, are not the family name.
_NICKNAME = re.compile(
    r"[\"\u201c\u201d\u201e\u00ab\u00bb][^\"\u201c\u201d\u201e\u00ab\u00bb]*[\"\u201c\u201d\u201e\u00ab\u00bb]|\([^)]*\)"
)
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_WORD_EDGES = "".join(chr(c) for c in range(0x21, 0x30)) + ":;<=>?@[\\]^_`{|}~"


def short_patient_name(full_name: str) -> str:
    """Return ``"Jane D."`` for ``"Jane Doe"``: the most a staff feed may show of a patient.

    Words are the parts that hold a letter (an emoji or a dash alone is not a word), the
    initial is the first letter of the last word, never a quote mark or a bracket:
    ``Mary O'Brien, Jr.; "Molly"`` gives ``Mary O.`` and ``Sam 🙂 Lee 👩\u200d⚕️`` gives ``Sam L.``.
    """
    text = _NICKNAME.sub(" ", clean_line(full_name))
    words = [w for w in re.split(r"[\s,;]+", text) if any(ch.isalpha() for ch in w)]
    words = [w for w in words if w.strip(".").lower() not in _NAME_SUFFIXES] or words
    if not words:
        return ""
    first = words[0].strip(_WORD_EDGES)
    if len(words) == 1:
        return first
    initial = next(ch for ch in words[-1] if ch.isalpha())
    return f"{first} {initial}."


def _feed_event(item: FeedEvent) -> Event:
    start, end = utc_span(item.start, item.end)
    modified = to_utc(item.last_modified, "last_modified")
    event = Event()
    event.add("uid", checked_uid(item.uid))
    event.add("sequence", checked_sequence(item.sequence))
    # Without METHOD, DTSTAMP is the time the information was last revised (RFC 5545 3.8.7.2).
    event.add("dtstamp", modified)
    event.add("last-modified", modified)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", required_line(item.summary, "summary"))
    event.add("status", checked_status(item.status).upper())
    if item.description:
        description = clean_text(item.description)
        if description:
            event.add("description", description)
    return event


def feed(
    name: str,
    events: Sequence[FeedEvent],
    *,
    prodid_name: str,
    include_cancelled: bool = False,
) -> bytes:
    """Return a subscription calendar (staff feed) with the given events.

    No METHOD (it is neither an iTIP message nor ``PUBLISH``); ``X-WR-CALNAME`` and RFC 7986
    ``NAME`` carry ``name``; clients are asked to refresh hourly with exactly
    ``REFRESH-INTERVAL;VALUE=DURATION:PT1H`` and ``X-PUBLISHED-TTL:PT1H``. Events are sorted
    by start then UID so the same data always gives the same bytes (good for ETags).

    Cancelled bookings (a deliberate choice): by default they are left out. A subscribed
    calendar is a snapshot, and every client removes an event that disappears from it, while
    not every client hides one that stays with ``STATUS:CANCELLED`` (some still show it as
    busy). Pass ``include_cancelled=True`` to keep them, written with ``STATUS:CANCELLED``.
    Tentative (held) bookings are always kept, as ``STATUS:TENTATIVE``.

    Raises :class:`ValueError` for duplicate UIDs, naive datetimes or ``end <= start``.
    Serve as ``text/calendar; charset=utf-8``.
    """
    cal = new_calendar(prodid_name, None)
    calname = required_line(name, "name")
    cal.add("x-wr-calname", calname)
    cal.add("name", calname)
    # Built by hand as typed values because of two library pitfalls (ICS.md): the
    # refresh_interval helper omits VALUE=DURATION, and an X- property added from a timedelta
    # is written as "1:00:00". vDuration always gives "PT1H"; the tests check the bytes.
    cal.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(FEED_REFRESH))

    seen: set[str] = set()
    kept: list[FeedEvent] = []
    for item in events:
        if item.uid in seen:
            raise ValueError(f"duplicate uid in feed: {item.uid!r}")
        seen.add(item.uid)
        if item.status == "cancelled" and not include_cancelled:
            continue
        kept.append(item)
    for item in sorted(kept, key=lambda e: (to_utc(e.start, "start"), e.uid)):
        cal.add_component(_feed_event(item))
    return cal.to_ical()
