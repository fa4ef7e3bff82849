"""iMIP invitations (REQUEST / CANCEL), the downloadable file and the appointment lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest

from booking import ics
from tests.support.ics import (
    LONDON,
    NEW_YORK,
    SENT_AT,
    assert_wire_format,
    make_facts,
    parse,
    property_lines,
    replace,
)

EXPECTED_DESCRIPTION = (
    "Address: 12 High Street, London N1 1AA\n"
    "Phone: +44 20 7946 0000\n"
    "Manage your booking: https://backcare.example/bookings/bk-7f3a9c?token=abc"
)


def _event_checks(data: bytes, *, method: str | None, status: str, sequence: int) -> None:
    assert_wire_format(data)
    cal = parse(data)
    assert cal.version.value == "2.0"
    assert cal.prodid.value == "-//BackCare Clinic//Booking//EN"
    if method is None:
        assert not hasattr(cal, "method")
        assert property_lines(data, "METHOD") == []
    else:
        assert cal.method.value == method
        assert property_lines(data, "METHOD") == [f"METHOD:{method}"]
    events = cal.contents["vevent"]
    assert len(events) == 1
    event = events[0]
    assert event.uid.value == "bk-7f3a9c@backcare.example"
    assert int(event.sequence.value) == sequence
    assert event.status.value == status
    assert event.dtstamp.value == SENT_AT
    assert event.dtstamp.value.utcoffset() == timedelta(0)
    # 14:00 London on 17 March 2027 is GMT (BST starts on the 28th).
    assert event.dtstart.value == datetime(2027, 3, 17, 14, 0, tzinfo=UTC)
    assert event.dtend.value == datetime(2027, 3, 17, 15, 0, tzinfo=UTC)
    assert property_lines(data, "DTSTART") == ["DTSTART:20270317T140000Z"]
    assert property_lines(data, "DTEND") == ["DTEND:20270317T150000Z"]
    assert property_lines(data, "DURATION") == []
    assert b"TZID" not in data and b"VTIMEZONE" not in data
    assert event.summary.value == "Massage appointment: Deep tissue massage"
    assert event.location.value == "12 High Street, London N1 1AA"
    assert event.description.value == EXPECTED_DESCRIPTION
    assert event.organizer.value == "mailto:bookings@backcare.example"
    assert event.organizer.params["CN"] == ["BackCare Clinic"]
    attendees = event.contents["attendee"]
    assert len(attendees) == 1
    assert attendees[0].value == "mailto:jane.doe@example.com"
    assert attendees[0].params["CN"] == ["Jane Doe"]
    assert attendees[0].params["ROLE"] == ["REQ-PARTICIPANT"]
    assert attendees[0].params["PARTSTAT"] == ["ACCEPTED"]
    assert attendees[0].params["RSVP"] == ["FALSE"]


def test_request_tentative() -> None:
    data = ics.invitation(make_facts(status="tentative"), "REQUEST")
    _event_checks(data, method="REQUEST", status="TENTATIVE", sequence=0)


def test_request_confirmed() -> None:
    data = ics.invitation(make_facts(status="confirmed", sequence=1), "REQUEST")
    _event_checks(data, method="REQUEST", status="CONFIRMED", sequence=1)


def test_cancel() -> None:
    data = ics.invitation(make_facts(status="cancelled", sequence=2), "CANCEL")
    _event_checks(data, method="CANCEL", status="CANCELLED", sequence=2)
    assert b"VALARM" not in data


def test_request_has_a_neutral_two_hour_display_alarm() -> None:
    data = ics.invitation(make_facts(), "REQUEST")
    alarms = parse(data).vevent.contents["valarm"]
    assert len(alarms) == 1
    assert alarms[0].action.value == "DISPLAY"
    assert alarms[0].trigger.value == timedelta(hours=-2)
    assert alarms[0].description.value == "Reminder: Massage appointment: Deep tissue massage"


def test_icalendar_reads_the_same_event() -> None:
    cal = icalendar.Calendar.from_ical(ics.invitation(make_facts(), "REQUEST"))
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == datetime(2027, 3, 17, 14, 0, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:jane.doe@example.com"


@pytest.mark.parametrize(
    ("status", "method"),
    [("tentative", "CANCEL"), ("confirmed", "CANCEL"), ("cancelled", "REQUEST")],
)
def test_inconsistent_method_and_status_are_refused(status: str, method: str) -> None:
    with pytest.raises(ValueError):
        ics.invitation(make_facts(status=status), method)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["PUBLISH", "REPLY", "request", ""])
def test_other_methods_are_refused(method: str) -> None:
    with pytest.raises(ValueError):
        ics.invitation(make_facts(), method)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "held"},
        {"sequence": -1},
        {"sequence": True},
        {"start": datetime(2027, 3, 17, 14, 0)},
        {"dtstamp": datetime(2027, 3, 17, 14, 0)},
        {"end": datetime(2027, 3, 17, 14, 0, tzinfo=LONDON)},
        {"attendee_email": "jane@example.com\r\nATTENDEE:mailto:evil@example.com"},
        {"attendee_email": "not-an-address"},
        {"clinic_email": "a@b.example;x=y"},
        {"uid": "has space@x"},
        {"uid": ""},
        {"manage_url": "javascript:alert(1)"},
        {"manage_url": "https://x.example/\r\nATTENDEE:mailto:evil@example.com"},
        {"service_name": " \r\n "},
    ],
)
def test_bad_facts_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        ics.invitation(make_facts(**changes), "REQUEST")


def test_calendar_file_has_no_method() -> None:
    data = ics.calendar_file(make_facts())
    _event_checks(data, method=None, status="CONFIRMED", sequence=0)
    assert b"METHOD" not in data


def test_calendar_file_is_the_same_event_as_the_invitation() -> None:
    facts = make_facts()
    mail = ics.invitation(facts, "REQUEST")
    file = ics.calendar_file(facts)
    assert mail.replace(b"METHOD:REQUEST\r\n", b"") == file


def test_lifecycle_of_one_booking() -> None:
    """Held -> confirmed -> rescheduled twice -> cancelled: one UID, SEQUENCE rising."""
    held = make_facts(status="tentative", sequence=0)
    steps = [
        ("REQUEST", held),
        ("REQUEST", replace(held, status="confirmed", sequence=1)),
        (
            "REQUEST",
            replace(
                held,
                status="confirmed",
                sequence=2,
                start=datetime(2027, 3, 24, 10, 0, tzinfo=LONDON),
                end=datetime(2027, 3, 24, 11, 0, tzinfo=LONDON),
            ),
        ),
        (
            "REQUEST",
            replace(
                held,
                status="confirmed",
                sequence=3,
                # After the clocks go forward: 10:00 BST is 09:00Z.
                start=datetime(2027, 3, 31, 10, 0, tzinfo=LONDON),
                end=datetime(2027, 3, 31, 11, 0, tzinfo=LONDON),
            ),
        ),
        (
            "CANCEL",
            replace(
                held,
                status="cancelled",
                sequence=4,
                start=datetime(2027, 3, 31, 10, 0, tzinfo=LONDON),
                end=datetime(2027, 3, 31, 11, 0, tzinfo=LONDON),
            ),
        ),
    ]
    seen = []
    for method, facts in steps:
        data = ics.invitation(facts, method)  # type: ignore[arg-type]
        assert_wire_format(data)
        cal = parse(data)
        event = cal.vevent
        seen.append(
            (
                cal.method.value,
                event.uid.value,
                int(event.sequence.value),
                event.status.value,
                event.dtstart.value,
            )
        )
    assert [s[0] for s in seen] == ["REQUEST", "REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert {s[1] for s in seen} == {"bk-7f3a9c@backcare.example"}
    sequences = [s[2] for s in seen]
    assert sequences == sorted(set(sequences)) == [0, 1, 2, 3, 4]
    assert [s[3] for s in seen] == ["TENTATIVE", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert [s[4] for s in seen][2:] == [
        datetime(2027, 3, 24, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 9, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 9, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Clocks go forward at 01:00 UTC on 28 March 2027: 09:00 is BST.
        (datetime(2027, 3, 28, 9, 0, tzinfo=LONDON), "20270328T080000Z"),
        # Clocks go back at 01:00 UTC on 31 October 2027: 09:00 is GMT.
        (datetime(2027, 10, 31, 9, 0, tzinfo=LONDON), "20271031T090000Z"),
        # US DST starts on 14 March 2027: 10:00 is EDT (UTC-4).
        (datetime(2027, 3, 14, 10, 0, tzinfo=NEW_YORK), "20270314T140000Z"),
        # A fixed offset is converted too, and fractions of a second are dropped.
        (datetime(2027, 6, 1, 9, 30, 0, 999, tzinfo=timezone(timedelta(hours=2))), None),
    ],
)
def test_times_on_dst_change_days_are_utc(start: datetime, expected: str | None) -> None:
    facts = make_facts(start=start, end=start + timedelta(hours=1))
    for data in (ics.invitation(facts, "REQUEST"), ics.calendar_file(facts)):
        event = parse(data).vevent
        want = start.astimezone(UTC).replace(microsecond=0)
        assert event.dtstart.value == want
        assert event.dtend.value == want + timedelta(hours=1)
        if expected is not None:
            assert property_lines(data, "DTSTART") == [f"DTSTART:{expected}"]
        assert property_lines(data, "DTSTART")[0].endswith("Z")


def test_description_is_only_address_phone_and_link() -> None:
    """No field exists for health details; the description is built from clinic facts."""
    fields = {f.name for f in ics.AppointmentFacts.__dataclass_fields__.values()}
    assert fields == {
        "uid",
        "sequence",
        "status",
        "start",
        "end",
        "service_name",
        "clinic_name",
        "clinic_email",
        "clinic_address",
        "clinic_phone",
        "manage_url",
        "attendee_email",
        "attendee_name",
        "dtstamp",
    }
    with pytest.raises(TypeError):
        make_facts(notes="lower back pain, herniated disc")
    with pytest.raises(TypeError):
        make_facts(description="lower back pain")
    facts = make_facts()
    with pytest.raises(AttributeError):
        facts.notes = "sciatica"  # type: ignore[attr-defined]
    data = ics.invitation(facts, "REQUEST")
    event = parse(data).vevent
    assert event.description.value.split("\n") == [
        "Address: 12 High Street, London N1 1AA",
        "Phone: +44 20 7946 0000",
        "Manage your booking: https://backcare.example/bookings/bk-7f3a9c?token=abc",
    ]
    # Only the summary, description, location and alarm carry free text.
    texts = {c.name for c in event.getChildren()} & {"COMMENT", "CONTACT", "X-ALT-DESC"}
    assert texts == set()
