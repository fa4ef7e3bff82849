"""Shared builders and byte-level checks for the ICS tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import vobject

from booking.ics import AppointmentFacts

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

SENT_AT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make_facts(**overrides) -> AppointmentFacts:
    values = {
        "uid": "bk-7f3a9c@backcare.example",
        "sequence": 0,
        "status": "confirmed",
        "start": datetime(2027, 3, 17, 14, 0, tzinfo=LONDON),
        "end": datetime(2027, 3, 17, 15, 0, tzinfo=LONDON),
        "service_name": "Deep tissue massage",
        "clinic_name": "BackCare Clinic",
        "clinic_email": "bookings@backcare.example",
        "clinic_address": "12 High Street\nLondon N1 1AA",
        "clinic_phone": "+44 20 7946 0000",
        "manage_url": "https://backcare.example/bookings/bk-7f3a9c?token=abc",
        "attendee_email": "jane.doe@example.com",
        "attendee_name": "Jane Doe",
        "dtstamp": SENT_AT,
    }
    values.update(overrides)
    return AppointmentFacts(**values)


def replace(facts: AppointmentFacts, **changes) -> AppointmentFacts:
    return dataclasses.replace(facts, **changes)


def parse(data: bytes):
    """Parse with vobject, the independent second parser."""
    return vobject.readOne(data.decode("utf-8"))


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[: -len(b"\r\n")].split(b"\r\n")


def unfolded_lines(data: bytes) -> list[str]:
    """Content lines after RFC 5545 unfolding (CRLF followed by one space or tab)."""
    text = data.decode("utf-8")
    for fold in ("\r\n ", "\r\n\t"):
        text = text.replace(fold, "")
    return text.split("\r\n")[:-1]


def assert_wire_format(data: bytes) -> None:
    """RFC 5545 section 3.1 and ICS.md rule 9, checked on the bytes themselves."""
    assert isinstance(data, bytes)
    assert not data.startswith(b"\xef\xbb\xbf"), "BOM"
    data.decode("utf-8")  # strictly valid UTF-8
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n"), "bare LF"
    assert data.count(b"\r") == data.count(b"\r\n"), "bare CR"
    for line in physical_lines(data):
        assert len(line) <= 75, line
        # Every physical line is valid UTF-8 on its own: no character split by a fold.
        line.decode("utf-8")
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")


def property_lines(data: bytes, name: str) -> list[str]:
    """Unfolded content lines whose property name is ``name``."""
    name = name.upper()
    return [
        line for line in unfolded_lines(data) if line.upper().split(";")[0].split(":")[0] == name
    ]
