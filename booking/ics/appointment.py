"""One appointment: the emailed invitation, the downloadable file and "add to calendar" links.

The patient's health details cannot reach a calendar: :class:`AppointmentFacts` has no field
for them, and the description is built here from the clinic's address, phone and the manage
link only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from icalendar import Alarm, Event, vCalAddress, vText

from booking.ics.common import (
    METHODS,
    Method,
    Status,
    checked_sequence,
    checked_status,
    checked_uid,
    http_url,
    mailto,
    new_calendar,
    required_line,
    to_utc,
    utc_span,
)
from booking.ics.text import clean_address, clean_line, clean_param

#: How long before the appointment the optional reminder (VALARM) fires.
REMINDER_BEFORE = timedelta(hours=2)

SUMMARY_PREFIX = "Massage appointment: "


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
        return SUMMARY_PREFIX + required_line(self.service_name, "service_name")

    @property
    def location(self) -> str:
        """The clinic's address on one line."""
        return clean_address(self.clinic_address)

    @property
    def description(self) -> str:
        """The event body: the clinic's address, phone and the manage link, nothing else."""
        return "\n".join(
            (
                f"Address: {self.location}",
                f"Phone: {clean_line(self.clinic_phone)}",
                f"Manage your booking: {http_url(self.manage_url, 'manage_url')}",
            )
        )


def _appointment_event(facts: AppointmentFacts, *, with_reminder: bool) -> Event:
    """Build the one VEVENT shared by the invitation and the downloadable file."""
    status = checked_status(facts.status)
    start, end = utc_span(facts.start, facts.end)

    event = Event()
    event.add("uid", checked_uid(facts.uid))
    event.add("sequence", checked_sequence(facts.sequence))
    event.add("dtstamp", to_utc(facts.dtstamp, "dtstamp"))
    # DTEND, never DURATION: RFC 5545 forbids both, and end times are what we store anyway.
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", facts.summary)
    event.add("location", facts.location)
    event.add("description", facts.description)
    event.add("status", status.upper())

    organizer = vCalAddress(mailto(facts.clinic_email, "clinic_email"))
    organizer.params["CN"] = vText(clean_param(facts.clinic_name))
    event.add("organizer", organizer)

    attendee = vCalAddress(mailto(facts.attendee_email, "attendee_email"))
    attendee_name = clean_param(facts.attendee_name)
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
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if method == "CANCEL" and facts.status != "cancelled":
        raise ValueError("METHOD:CANCEL requires status 'cancelled'")
    if method == "REQUEST" and facts.status == "cancelled":
        raise ValueError("a cancelled booking must be sent with METHOD:CANCEL, not REQUEST")
    cal = new_calendar(facts.clinic_name, method)
    cal.add_component(_appointment_event(facts, with_reminder=True))
    return cal.to_ical()


def calendar_file(facts: AppointmentFacts) -> bytes:
    """Return the same event as a plain downloadable ``.ics`` ("Add to calendar").

    No METHOD: a file opened by hand is an import, not an iTIP message (and ``PUBLISH`` is
    never used). Serve it as ``text/calendar; charset=utf-8``. Same UID and SEQUENCE as the
    emails, so importing it and receiving an update end in one event, not two.
    """
    cal = new_calendar(facts.clinic_name, None)
    cal.add_component(_appointment_event(facts, with_reminder=True))
    return cal.to_ical()


def _utc_compact(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(facts: AppointmentFacts) -> str:
    """Return a Google Calendar "add event" link for the appointment (times in UTC)."""
    start, end = utc_span(facts.start, facts.end)
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
    start, end = utc_span(facts.start, facts.end)
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
