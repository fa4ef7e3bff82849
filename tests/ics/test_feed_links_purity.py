"""Staff feed, "add to calendar" links and the module's purity."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from booking import ics
from tests.support.ics import LONDON, assert_wire_format, make_facts, parse, property_lines

MODIFIED = datetime(2027, 3, 9, 17, 30, tzinfo=UTC)


def _feed_event(uid: str, day: int, status: str = "confirmed", **kw) -> ics.FeedEvent:
    start = datetime(2027, 3, day, 10, 0, tzinfo=LONDON)
    values = {
        "uid": uid,
        "start": start,
        "end": start + timedelta(minutes=60),
        "summary": "Deep tissue massage \u2013 Jane D.",
        "status": status,
        "last_modified": MODIFIED,
        "sequence": 1,
    }
    values.update(kw)
    return ics.FeedEvent(**values)


def test_feed_properties_and_events() -> None:
    events = [
        _feed_event("b@backcare.example", 29, "tentative"),
        _feed_event("a@backcare.example", 17, description="Room 2\r\nBring towel"),
        _feed_event("c@backcare.example", 18, "cancelled"),
    ]
    data = ics.feed("BackCare \u2013 Anna's sessions", events, prodid_name="BackCare Clinic")
    assert_wire_format(data)
    assert b"METHOD" not in data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in data
    assert property_lines(data, "X-WR-CALNAME") == ["X-WR-CALNAME:BackCare \u2013 Anna's sessions"]
    assert b"TZID" not in data

    cal = parse(data)
    assert not hasattr(cal, "method")
    assert cal.prodid.value == "-//BackCare Clinic//Booking//EN"
    vevents = cal.contents["vevent"]
    # Cancelled bookings are left out by default (documented choice); sorted by start.
    assert [e.uid.value for e in vevents] == ["a@backcare.example", "b@backcare.example"]
    first, second = vevents
    assert first.status.value == "CONFIRMED"
    assert second.status.value == "TENTATIVE"
    assert first.dtstart.value == datetime(2027, 3, 17, 10, 0, tzinfo=UTC)
    # 29 March is after the clocks go forward: 10:00 BST is 09:00Z.
    assert second.dtstart.value == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert second.dtend.value == datetime(2027, 3, 29, 10, 0, tzinfo=UTC)
    assert property_lines(data, "DTSTART")[1] == "DTSTART:20270329T090000Z"
    assert property_lines(data, "DURATION") == []
    assert first.dtstamp.value == MODIFIED
    assert first.last_modified.value == MODIFIED
    assert int(first.sequence.value) == 1
    assert first.summary.value == "Deep tissue massage \u2013 Jane D."
    assert first.description.value == "Room 2\nBring towel"
    assert not hasattr(second, "description")
    assert "attendee" not in first.contents and "valarm" not in first.contents


def test_feed_can_keep_cancelled_events() -> None:
    events = [_feed_event("c@backcare.example", 18, "cancelled")]
    data = ics.feed("Staff", events, prodid_name="BackCare", include_cancelled=True)
    assert parse(data).vevent.status.value == "CANCELLED"


def test_feed_is_deterministic_and_uids_stable() -> None:
    events = [_feed_event("a@x.example", 17), _feed_event("b@x.example", 18)]
    one = ics.feed("Staff", events, prodid_name="BackCare")
    two = ics.feed("Staff", list(reversed(events)), prodid_name="BackCare")
    assert one == two


def test_empty_feed() -> None:
    data = ics.feed("Staff", [], prodid_name="BackCare")
    assert_wire_format(data)
    assert b"BEGIN:VEVENT" not in data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data


def test_feed_refuses_duplicate_uids() -> None:
    with pytest.raises(ValueError):
        ics.feed(
            "Staff",
            [_feed_event("a@x.example", 17), _feed_event("a@x.example", 18)],
            prodid_name="BackCare",
        )


def test_feed_summary_injection() -> None:
    event = _feed_event("a@x.example", 17, summary="Jane D.\r\nATTENDEE:mailto:evil@example.com")
    data = ics.feed("Staff\nX-EVIL:1", [event], prodid_name="BackCare")
    assert property_lines(data, "ATTENDEE") == []
    assert property_lines(data, "X-EVIL") == []
    assert parse(data).vevent.summary.value == "Jane D. ATTENDEE:mailto:evil@example.com"


@pytest.mark.parametrize(
    ("full", "short"),
    [("Jane Doe", "Jane D."), ("  jane   van der Berg ", "jane B."), ("Cher", "Cher"), ("", "")],
)
def test_short_patient_name(full: str, short: str) -> None:
    assert ics.short_patient_name(full) == short


def _facts_for_links():
    return make_facts(
        start=datetime(2027, 3, 28, 9, 0, tzinfo=LONDON),
        end=datetime(2027, 3, 28, 10, 0, tzinfo=LONDON),
        service_name="Deep tissue & hot stones #1 + more",
    )


def test_google_calendar_url() -> None:
    url = ics.google_calendar_url(_facts_for_links())
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert " " not in url and "\n" not in url
    query = parse_qs(parts.query, strict_parsing=True)
    assert {k: len(v) for k, v in query.items()} == dict.fromkeys(
        ("action", "text", "dates", "details", "location"), 1
    )
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Massage appointment: Deep tissue & hot stones #1 + more"]
    assert query["dates"] == ["20270328T080000Z/20270328T090000Z"]
    assert query["location"] == ["12 High Street, London N1 1AA"]
    assert query["details"][0].startswith("Address: 12 High Street, London N1 1AA\nPhone: ")


def test_outlook_calendar_url() -> None:
    url = ics.outlook_calendar_url(_facts_for_links())
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "outlook.live.com",
        "/calendar/0/deeplink/compose",
    )
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["path"] == ["/calendar/action/compose"]
    assert query["rru"] == ["addevent"]
    assert query["subject"] == ["Massage appointment: Deep tissue & hot stones #1 + more"]
    assert query["startdt"] == ["2027-03-28T08:00:00Z"]
    assert query["enddt"] == ["2027-03-28T09:00:00Z"]
    assert query["location"] == ["12 High Street, London N1 1AA"]
    assert query["body"][0].endswith(
        "Manage your booking: https://backcare.example/bookings/bk-7f3a9c?token=abc"
    )


def test_module_is_pure() -> None:
    """booking/ics/ imports only the standard library, icalendar and its own modules."""
    imported: set[str] = set()
    for module in sorted(Path(ics.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, "relative import"
                imported.add(node.module or "")
    own = {name for name in imported if name == "booking.ics" or name.startswith("booking.ics.")}
    roots = {name.split(".")[0] for name in imported - own}
    forbidden = {"flask", "flask_sqlalchemy", "flask_mail", "sqlalchemy", "booking"}
    assert not roots & forbidden, roots & forbidden
    import sys

    third_party = roots - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"icalendar"}
