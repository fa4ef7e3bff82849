"""“Add to calendar” for one booking: the ``.ics`` download, Google and Outlook links.

The done page and the manage page call :func:`calendar_links` with the booking and the
manage token they already hold. The event has the same UID and SEQUENCE as the emailed
invitations, so a patient who imports the file and later gets an update ends with one
event, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for

from booking import ics
from booking.models import Booking, BookingStatus
from booking.notify.settings import calendar_uid, manage_url, sender

#: Bookings whose calendar entry is gone; there is nothing to add.
FINISHED = frozenset({BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.RELEASED})


@dataclass(frozen=True)
class CalendarLinks:
    ics_url: str
    google_url: str
    outlook_url: str


def appointment_facts(booking: Booking, token: str, *, now: datetime) -> ics.AppointmentFacts:
    """Return the calendar facts of ``booking``; ``now`` is the DTSTAMP."""
    if booking.status in FINISHED:
        status: ics.Status = "cancelled"
    elif booking.status is BookingStatus.HELD:
        status = "tentative"
    else:
        status = "confirmed"
    config = current_app.config
    return ics.AppointmentFacts(
        uid=calendar_uid(booking.public_id),
        sequence=booking.ics_sequence,
        status=status,
        start=booking.starts_at,
        end=booking.ends_at,
        service_name=booking.service.name,
        clinic_name=config["CLINIC_NAME"],
        clinic_email=sender().addr_spec,
        clinic_address=config["CLINIC_ADDRESS"],
        clinic_phone=config["CLINIC_PHONE"],
        manage_url=manage_url(token),
        attendee_email=booking.contact_email or booking.patient.email,
        attendee_name=booking.contact_name or booking.patient.name,
        dtstamp=now,
    )


def calendar_links(booking: Booking, token: str, *, now: datetime) -> CalendarLinks:
    """Return the three "add to calendar" links for ``booking`` (call inside a request)."""
    facts = appointment_facts(booking, token, now=now)
    return CalendarLinks(
        ics_url=url_for("feeds.manage_calendar", token=token),
        google_url=ics.google_calendar_url(facts),
        outlook_url=ics.outlook_calendar_url(facts),
    )
