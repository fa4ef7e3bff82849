"""Wire format (CRLF, folding, UTF-8) and text hygiene (injection attempts)."""

from __future__ import annotations

import pytest

from booking import ics
from tests.support.ics import (
    assert_wire_format,
    make_facts,
    parse,
    physical_lines,
    property_lines,
    unfolded_lines,
)

LONG_SERVICE = (
    "Massage thérapeutique du dos \u2013 séance approfondie pour épaules & lombaires 💆‍♀️🙂 "
    "avec huiles essentielles à la lavande, 90 minutes, Zoë\u2019s signature ✨🌿"
)
LONG_ADDRESS = "Cabinet Élodie Müller, 7 Straße der Großen Eichen, 1er étage 🏢\nZürich 8001 🇨🇭"


def test_long_unicode_text_folds_without_splitting_characters() -> None:
    facts = make_facts(
        service_name=LONG_SERVICE,
        clinic_address=LONG_ADDRESS,
        clinic_name="Clinique du Dos Zoë 🌿 " * 3,
        attendee_name="Zoë Ångström-Øster 🙂 " * 3,
    )
    for data in (ics.invitation(facts, "REQUEST"), ics.calendar_file(facts)):
        assert_wire_format(data)
        lines = physical_lines(data)
        assert any(line.startswith(b" ") for line in lines), "expected folded lines"
        # Folding happens at (or just before) 75 octets, never later.
        assert max(len(line) for line in lines) <= 75
        event = parse(data).vevent
        assert event.summary.value == "Massage appointment: " + LONG_SERVICE
        assert event.location.value == LONG_ADDRESS.replace("\n", ", ")
        assert event.attendee.params["CN"] == [("Zoë Ångström-Øster 🙂 " * 3).strip()]
        # The unfolded bytes still hold the exact UTF-8 text.
        summary_line = property_lines(data, "SUMMARY")[0]
        assert summary_line == "SUMMARY:Massage appointment: " + LONG_SERVICE.replace(",", "\\,")


EVIL = "Jane\r\nATTENDEE:mailto:evil@example.com"
EVIL_SERVICE = (
    "Deep tissue\rBEGIN:VALARM\nEND:VEVENT\r\nATTENDEE:mailto:evil@example.com"
    "\u2028X-INJECTED:1\u2029; a, b \\ c\x00\x1b[31m\x7f\x85\u000b\u000c\tend\ufeff"
)


def test_injection_through_names_adds_no_property() -> None:
    facts = make_facts(attendee_name=EVIL, service_name=EVIL_SERVICE, clinic_name=EVIL)
    for data in (ics.invitation(facts, "REQUEST"), ics.calendar_file(facts)):
        assert_wire_format(data)
        assert len(property_lines(data, "ATTENDEE")) == 1
        assert property_lines(data, "X-INJECTED") == []
        # The words appear inside the summary text, but never as lines of their own.
        lines = unfolded_lines(data)
        assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
        assert lines.count("BEGIN:VALARM") == 1 and lines.count("END:VALARM") == 1
        for byte in b"\x00\x1b\x7f\x0b\x0c\t":
            assert bytes([byte]) not in data
        for char in ("\x85", "\u2028", "\u2029", "\ufeff"):
            assert char.encode() not in data
        event = parse(data).vevent
        assert len(event.contents["attendee"]) == 1
        assert event.attendee.value == "mailto:jane.doe@example.com"
        assert event.attendee.params["CN"] == ["Jane ATTENDEE:mailto:evil@example.com"]
        assert event.organizer.value == "mailto:bookings@backcare.example"
        cleaned = (
            "Deep tissue BEGIN:VALARM END:VEVENT ATTENDEE:mailto:evil@example.com "
            "X-INJECTED:1 ; a, b \\ c[31m end"
        )
        assert ics.clean_line(EVIL_SERVICE) == cleaned
        assert event.summary.value == "Massage appointment: " + cleaned
        # Semicolons, commas and backslashes arrive escaped, never raw.
        assert "\\; a\\, b \\\\ c" in property_lines(data, "SUMMARY")[0]


def test_quotes_and_carets_in_names_need_no_parameter_encoding() -> None:
    facts = make_facts(attendee_name='Jane "JJ" O\'Neil ^_^', clinic_name="Back; Care, Ltd")
    data = ics.invitation(facts, "REQUEST")
    event = parse(data).vevent
    assert event.attendee.params["CN"] == ["Jane 'JJ' O'Neil _"]
    assert event.organizer.params["CN"] == ["Back; Care, Ltd"]
    assert b"^" not in data


def test_empty_attendee_name_leaves_out_cn() -> None:
    data = ics.invitation(make_facts(attendee_name="\r\n"), "REQUEST")
    assert "CN" not in parse(data).vevent.attendee.params


@pytest.mark.parametrize(
    ("raw", "line", "text"),
    [
        ("a\r\nb", "a b", "a\nb"),
        ("a\rb", "a b", "a\nb"),
        ("a\nb", "a b", "a\nb"),
        ("a\u2028b\u2029c", "a b c", "a\nb\nc"),
        ("  a \t  b  ", "a b", "a b"),
        ("a\x00b\x08c", "abc", "abc"),
        ("\n\nfirst\n\nthird\n", "first third", "first\n\nthird"),
        ("👩‍⚕️ Zoë", "👩‍⚕️ Zoë", "👩‍⚕️ Zoë"),
    ],
)
def test_clean_line_and_clean_text(raw: str, line: str, text: str) -> None:
    assert ics.clean_line(raw) == line
    assert ics.clean_text(raw) == text
