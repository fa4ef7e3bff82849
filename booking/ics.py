"""iCalendar output for bookings: facts in, bytes out.

This module is pure: it knows nothing about Flask, the database or the rest of the ``booking``
package. Callers load a booking, fill in :class:`AppointmentFacts` (or :class:`FeedEvent`) and
get back the exact bytes to send or serve. The rules it follows are those of
``/work/shared/ICS.md`` (RFC 5545, RFC 5546 iTIP, RFC 6047 iMIP, RFC 7986):

* every time is written in UTC (``...Z``): no ``TZID``, no ``VTIMEZONE``, no floating times,
  and ``DTEND`` is always used instead of ``DURATION``;
* ``METHOD`` appears only on the ``VCALENDAR`` of emailed invitations (``REQUEST`` or
  ``CANCEL``), never on the downloadable file or the staff feed;
* all escaping and line folding is done by the ``icalendar`` library; the bytes returned are
  ``to_ical()`` untouched (UTF-8 without BOM, CRLF after every line, folded at 75 octets);
* every text that comes in is cleaned of control characters first (see :func:`clean_line`),
  so user input cannot add lines or properties;
* the patient's health details cannot reach a calendar: there is no field for them. The
  description is built here from the clinic's address, phone and the manage link only.

Public API: :class:`AppointmentFacts`, :func:`invitation`, :func:`calendar_file`,
:class:`FeedEvent`, :func:`feed`, :func:`google_calendar_url`, :func:`outlook_calendar_url`,
:func:`short_patient_name`, :func:`clean_line`, :func:`clean_text`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args
from urllib.parse import quote, urlencode, urlsplit

from icalendar import Alarm, Calendar, Event, vCalAddress, vDuration, vText

__all__ = [
    "REMINDER_BEFORE",
    "AppointmentFacts",
    "FeedEvent",
    "Method",
    "Status",
    "calendar_file",
    "clean_line",
    "clean_text",
    "feed",
    "google_calendar_url",
    "invitation",
    "outlook_calendar_url",
    "short_patient_name",
]

Status = Literal["tentative", "confirmed", "cancelled"]
Method = Literal["REQUEST", "CANCEL"]

_STATUSES: frozenset[str] = frozenset(get_args(Status))
_METHODS: frozenset[str] = frozenset(get_args(Method))

#: How long before the appointment the optional reminder (VALARM) fires.
REMINDER_BEFORE = timedelta(hours=2)

#: Subscribed calendars are asked to refresh hourly (RFC 7986 and the older Microsoft name).
FEED_REFRESH = timedelta(hours=1)

SUMMARY_PREFIX = "Massage appointment: "

# Characters that end a line somewhere: CR, LF, VT, FF, NEL and the Unicode line and
# paragraph separators. Some readers (and JavaScript-based ones in particular) treat U+2028
# and U+2029 as line breaks, so they are handled exactly like CR and LF.
_LINE_BREAKS = re.compile("\r\n|[\r\n\v\f\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]+")

# A deliberately plain address check: this module is not the place to validate mailboxes
# (forms do that); it only refuses anything that could break out of a ``mailto:`` value.
_EMAIL = re.compile(r"[^\s@\"<>();:,\\\[\]]+@[^\s@\"<>();:,\\\[\]]+\.[^\s@\"<>();:,\\\[\]]+")


# --------------------------------------------------------------------------------------------
# Text hygiene
# --------------------------------------------------------------------------------------------


def _drop_controls(text: str) -> str:
    """Remove control characters (Cc), lone surrogates (Cs) and stray byte-order marks.

    Line breaks and tabs must already have been replaced by the caller. Format characters
    (Cf) other than U+FEFF are kept on purpose: the zero-width joiner holds emoji sequences
    together and the directional marks are needed by right-to-left names.
    """
    return "".join(
        ch for ch in text if ch != "\ufeff" and unicodedata.category(ch) not in ("Cc", "Cs")
    )


def clean_line(text: str) -> str:
    """Return ``text`` as one clean line: what every single-line calendar field receives.

    Every kind of line break (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029) and every tab
    becomes a space, other control characters are removed, runs of spaces collapse to one and
    the ends are trimmed. A lone carriage return becomes a space rather than vanishing so the
    words either side of it stay apart.
    """
    text = _LINE_BREAKS.sub(" ", text)
    text = _drop_controls(text.replace("\t", " "))
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Return ``text`` cleaned for a multi-line field (DESCRIPTION).

    Every kind of line break becomes a single ``\\n`` (which icalendar writes as the escape
    ``\\n``, so it never ends a physical line); every other control character is removed and
    each line is cleaned like :func:`clean_line`. Empty lines at the ends are dropped.
    """
    lines = [clean_line(line) for line in _LINE_BREAKS.split(text)]
    return "\n".join(lines).strip("\n")


def _clean_address(text: str) -> str:
    """Flatten a possibly multi-line postal address into one line joined by ``", "``.

    LOCATION is shown on one line by every client, so "12 High St\\nLondon" reads better as
    "12 High St, London" there and in the description.
    """
    parts = [clean_line(part) for part in _LINE_BREAKS.split(text)]
    return ", ".join(part for part in parts if part)


def _clean_param(text: str) -> str:
    """Clean a property parameter value (the ``CN`` of ORGANIZER and ATTENDEE).

    Parameter values cannot hold a double quote; icalendar would caret-encode it (RFC 6868,
    ``^'``) and double a caret (``^^``), but many readers (vobject among them) do not decode
    that and would show the carets. A display name loses nothing if ``"`` becomes ``'`` and
    carets are dropped, so the value needs no caret encoding at all.
    """
    return clean_line(text).replace('"', "'").replace("^", "")


def _required_line(value: str, field: str) -> str:
    cleaned = clean_line(value)
    if not cleaned:
        raise ValueError(f"{field} must not be empty")
    return cleaned


def _mailbox(address: str, field: str) -> str:
    """Return ``mailto:<address>`` after checking the address cannot escape the URI."""
    if not _EMAIL.fullmatch(address):
        raise ValueError(f"{field} is not a plain email address: {address!r}")
    return f"mailto:{address}"


def _uid(uid: str) -> str:
    # The UID is made by us, once, and reused forever; refusing anything odd here is better
    # than emitting an identifier that a calendar server normalises into a different one.
    if not uid or not uid.isascii() or not uid.isprintable() or " " in uid:
        raise ValueError(f"uid must be non-empty printable ASCII without spaces: {uid!r}")
    return uid


def _http_url(url: str, field: str) -> str:
    if url != clean_line(url) or " " in url:
        raise ValueError(f"{field} must not contain spaces or control characters")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError(f"{field} must be an absolute http(s) URL: {url!r}")
    return url


def _utc(value: datetime, field: str) -> datetime:
    """Convert an aware datetime to UTC, to the whole second (iCalendar has no fractions)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got naive {value!r}")
    # ``datetime.UTC`` (not a zoneinfo key) is what icalendar writes as the ``Z`` form.
    return value.astimezone(UTC).replace(microsecond=0)


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc <= start_utc:
        raise ValueError("end must be after start")
    return start_utc, end_utc


def _sequence(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"sequence must be an integer >= 0, got {value!r}")
    return value


def _status(value: str) -> str:
    if value not in _STATUSES:
        raise ValueError(f"status must be one of {sorted(_STATUSES)}, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# One appointment: invitations, the downloadable file and "add to calendar" links
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentFacts:
    """Everything a calendar may say about one booking, and nothing more.

    There is deliberately no field for notes, symptoms or anything else the patient told the
    clinic: what is not here cannot leak into a calendar.

    ``uid`` is made once per booking (e.g. ``"<public_id>@<clinic domain>"``), stored and
    reused for every message about it. ``sequence`` is the booking's stored counter (0 first,
    +1 for every change that is sent). ``start``, ``end`` and ``dtstamp`` must be aware;
    they are written in UTC. ``dtstamp`` is the time the message is sent.
    """

    uid: str
    sequence: int
    status: Status
    start: datetime
    end: datetime
    service_name: str
    clinic_name: str
    clinic_email: str
    clinic_address: str
    clinic_phone: str
    manage_url: str
    attendee_email: str
    attendee_name: str
    dtstamp: datetime

    @property
    def summary(self) -> str:
        """The event title: the only place the service appears."""
        return SUMMARY_PREFIX + _required_line(self.service_name, "service_name")

    @property
    def location(self) -> str:
        """The clinic's address on one line."""
        return _clean_address(self.clinic_address)

    @property
    def description(self) -> str:
        """The event body: the clinic's address, phone and the manage link, nothing else."""
        return "\n".join(
            (
                f"Address: {self.location}",
                f"Phone: {clean_line(self.clinic_phone)}",
                f"Manage your booking: {_http_url(self.manage_url, 'manage_url')}",
            )
        )


def _prodid(clinic_name: str) -> str:
    # RFC 5545 only asks for a globally unique text; the FPI-like form is what clients expect.
    # Slashes in the clinic name would blur the "//" separators, so they become spaces.
    name = clean_line(clinic_name.replace("/", " ")) or "Clinic"
    return f"-//{name}//Booking//EN"


def _calendar(prodid_name: str, method: Method | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", _prodid(prodid_name))
    cal.add("version", "2.0")
    if method is not None:
        # METHOD belongs on VCALENDAR only (RFC 5546); the email's Content-Type must repeat it.
        cal.add("method", method)
    return cal


def _appointment_event(facts: AppointmentFacts, *, with_reminder: bool) -> Event:
    """Build the one VEVENT shared by the invitation and the downloadable file."""
    status = _status(facts.status)
    start, end = _span(facts.start, facts.end)

    event = Event()
    event.add("uid", _uid(facts.uid))
    event.add("sequence", _sequence(facts.sequence))
    event.add("dtstamp", _utc(facts.dtstamp, "dtstamp"))
    # DTEND, never DURATION: RFC 5545 forbids both, and end times are what we store anyway.
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", facts.summary)
    event.add("location", facts.location)
    event.add("description", facts.description)
    event.add("status", status.upper())

    organizer = vCalAddress(_mailbox(facts.clinic_email, "clinic_email"))
    organizer.params["CN"] = vText(_clean_param(facts.clinic_name))
    event.add("organizer", organizer)

    attendee = vCalAddress(_mailbox(facts.attendee_email, "attendee_email"))
    attendee_name = _clean_param(facts.attendee_name)
    if attendee_name:
        attendee.params["CN"] = vText(attendee_name)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    # PARTSTAT is the attendee's own answer, and the patient answered by booking: they chose
    # this slot. So it is ACCEPTED for a held booking too. The clinic's uncertainty about a
    # hold belongs to the event (STATUS:TENTATIVE), not to the patient; PARTSTAT=TENTATIVE
    # would tell their calendar "you said maybe", and NEEDS-ACTION would make clients offer
    # reply buttons whose replies nobody processes. It also stays constant across the
    # lifecycle, so no update looks like the patient changed their mind.
    attendee.params["PARTSTAT"] = vText("ACCEPTED")
    # RSVP=FALSE: replies go to the clinic mailbox, which is not a calendar service.
    attendee.params["RSVP"] = vText("FALSE")
    event.add("attendee", attendee)

    if with_reminder and status != "cancelled":
        event.add_component(_reminder(facts.summary))
    return event


def _reminder(summary: str) -> Alarm:
    """A plain DISPLAY alarm, REMINDER_BEFORE the start, with the (health-free) summary.

    Kept for the patient's benefit; clients that distrust organiser alarms (Google, Outlook
    for invitations) simply ignore it and use their own default reminder.
    """
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add("description", f"Reminder: {summary}")
    return alarm


def invitation(facts: AppointmentFacts, method: Method) -> bytes:
    """Return the iMIP calendar for an email: ``METHOD:REQUEST`` or ``METHOD:CANCEL``.

    New bookings, holds, confirmations and reschedules are ``REQUEST`` (status tentative or
    confirmed); cancellations and expired or declined holds are ``CANCEL`` and must carry
    ``status="cancelled"``. Any other combination raises :class:`ValueError`, as do naive
    datetimes, ``end <= start``, a negative sequence or an address that is not a plain email.

    The bytes are ``to_ical()`` untouched: send them as the ``text/calendar; method=<method>;
    charset=UTF-8`` part (and as ``invite.ics`` if attached) without re-encoding.
    A REQUEST carries a DISPLAY reminder (:data:`REMINDER_BEFORE`); a CANCEL does not.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    if method == "CANCEL" and facts.status != "cancelled":
        raise ValueError("METHOD:CANCEL requires status 'cancelled'")
    if method == "REQUEST" and facts.status == "cancelled":
        raise ValueError("a cancelled booking must be sent with METHOD:CANCEL, not REQUEST")
    cal = _calendar(facts.clinic_name, method)
    cal.add_component(_appointment_event(facts, with_reminder=True))
    return cal.to_ical()


def calendar_file(facts: AppointmentFacts) -> bytes:
    """Return the same event as a plain downloadable ``.ics`` ("Add to calendar").

    No METHOD: a file opened by hand is an import, not an iTIP message (and ``PUBLISH`` is
    never used). Serve it as ``text/calendar; charset=utf-8``. Same UID and SEQUENCE as the
    emails, so importing it and receiving an update end in one event, not two.
    """
    cal = _calendar(facts.clinic_name, None)
    cal.add_component(_appointment_event(facts, with_reminder=True))
    return cal.to_ical()


def _utc_compact(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(facts: AppointmentFacts) -> str:
    """Return a Google Calendar "add event" link for the appointment (times in UTC)."""
    start, end = _span(facts.start, facts.end)
    query = {
        "action": "TEMPLATE",
        "text": facts.summary,
        "dates": f"{_utc_compact(start)}/{_utc_compact(end)}",
        "details": facts.description,
        "location": facts.location,
    }
    # quote (not quote_plus): spaces as %20 are read the same way by every consumer.
    return "https://calendar.google.com/calendar/render?" + urlencode(query, quote_via=quote)


def outlook_calendar_url(facts: AppointmentFacts) -> str:
    """Return an Outlook.com "add event" deep link for the appointment (times in UTC)."""
    start, end = _span(facts.start, facts.end)
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": facts.summary,
        # ISO 8601 in UTC with "Z" (e.g. 2027-03-28T08:00:00Z): no offset sign to mis-encode.
        "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": facts.description,
        "location": facts.location,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        query, quote_via=quote
    )


# --------------------------------------------------------------------------------------------
# Staff subscription feed
# --------------------------------------------------------------------------------------------


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
    start, end = _span(item.start, item.end)
    modified = _utc(item.last_modified, "last_modified")
    event = Event()
    event.add("uid", _uid(item.uid))
    event.add("sequence", _sequence(item.sequence))
    # Without METHOD, DTSTAMP is the time the information was last revised (RFC 5545 3.8.7.2).
    event.add("dtstamp", modified)
    event.add("last-modified", modified)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", _required_line(item.summary, "summary"))
    event.add("status", _status(item.status).upper())
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
    cal = _calendar(prodid_name, None)
    calname = _required_line(name, "name")
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
    for item in sorted(kept, key=lambda e: (_utc(e.start, "start"), e.uid)):
        cal.add_component(_feed_event(item))
    return cal.to_ical()
