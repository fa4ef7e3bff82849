"""iCalendar output for bookings: facts in, bytes out.

This package is pure: it knows nothing about Flask, the database or the rest of the
``booking`` package. Callers load a booking, fill in :class:`AppointmentFacts` (or
:class:`FeedEvent`) and get back the exact bytes to send or serve. The rules it follows are
those of ``/work/shared/ICS.md`` (RFC 5545, RFC 5546 iTIP, RFC 6047 iMIP, RFC 7986):

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

Modules: ``text`` (cleaning what comes in), ``common`` (value checks and the VCALENDAR
shell), ``appointment`` (invitations, the downloadable file, add-to-calendar links) and
``feeds`` (the staff subscription feed).

Public API: :class:`AppointmentFacts`, :func:`invitation`, :func:`calendar_file`,
:class:`FeedEvent`, :func:`feed`, :func:`google_calendar_url`, :func:`outlook_calendar_url`,
:func:`short_patient_name`, :func:`clean_line`, :func:`clean_text`.
"""

from __future__ import annotations

from booking.ics.appointment import (
    REMINDER_BEFORE,
    SUMMARY_PREFIX,
    AppointmentFacts,
    calendar_file,
    google_calendar_url,
    invitation,
    outlook_calendar_url,
)
from booking.ics.common import Method, Status
from booking.ics.feeds import FEED_REFRESH, FeedEvent, feed, short_patient_name
from booking.ics.text import clean_line, clean_text

__all__ = [
    "FEED_REFRESH",
    "REMINDER_BEFORE",
    "SUMMARY_PREFIX",
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
