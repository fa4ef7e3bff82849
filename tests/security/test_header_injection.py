"""Header and calendar injection: line breaks in a name or an email add nothing.

The forms and the API refuse CR/LF and the Unicode line separators in name and email. Below
them, a name that got into the database anyway (an old row, a bug elsewhere) still cannot
add a mail header, a recipient or a calendar property: the bytes produced are parsed back
with the standard library and vobject and checked.
"""

from __future__ import annotations

import email.policy
import json
from datetime import timedelta
from email.parser import BytesParser

import pytest
import vobject

from booking import clock, ics
from booking.extensions import db
from booking.models import MessageKind, OutboxMessage, OutboxStatus
from booking.notify import outbox
from booking.notify.compose import ComposeError, QueuedEmail, compose
from booking.notify.transport import mail_dir
from booking.services.clinic_settings import current_policy
from booking.worker import delivery
from tests.security import booking_with_token
from tests.security.test_input_limits import DETAILS, TIMED, assert_refused, state, with_draft
from tests.support.database import DEFAULT_NOW
from tests.web.test_api_bookings import valid

EVIL = "evil@example.com"
BREAKS = ["\r\n", "\n", "\r", "\u2028", "\u2029", "\u0085"]
NAMES = [f"Jo{br}Bcc: {EVIL}" for br in BREAKS] + [
    f"Jo\r\nCc: {EVIL}\r\nX-Injected: yes",
    f"Jo{chr(0x2028)}To: {EVIL}",
]
EMAILS = [f"jo@example.org{br}Bcc: {EVIL}" for br in BREAKS]
ICS_NAMES = [f"Jo{br}ATTENDEE;CN=Evil:mailto:{EVIL}{br}X-INJECTED:yes" for br in BREAKS] + [
    f'Jo";X-INJ=1:mailto:{EVIL}',
    f"Jo\\nATTENDEE:mailto:{EVIL}",
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


# --- The front doors ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "email"])
def test_the_details_form_refuses_line_breaks_in_name_and_email(client, demo, field):
    with_draft(client, **TIMED)
    before = state()
    for value in NAMES if field == "name" else EMAILS:
        response = client.post("/book/details", data={**DETAILS, field: value})
        assert_refused(response, before)


@pytest.mark.parametrize("field", ["name", "email"])
def test_the_api_refuses_line_breaks_in_name_and_email(client, demo, field):
    before = state()
    for value in NAMES if field == "name" else EMAILS:
        response = client.post(
            "/api/v1/bookings",
            data=json.dumps(valid(**{field: value})),
            content_type="application/json",
        )
        assert response.status_code == 400, (value, response.get_data(as_text=True)[:300])
        assert response.is_json
        assert state() == before


# --- Below the forms: a hostile name already in the database -------------------------------


TOP_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
)


def parse(raw: bytes):
    return BytesParser(policy=email.policy.default).parsebytes(raw)


def assert_one_recipient_and_no_injected_header(message, to_address: str) -> None:
    assert sorted(message.keys()) == sorted(TOP_HEADERS), message.keys()
    for name in ("Bcc", "Cc", "X-Injected", "Reply-To"):
        assert message[name] is None
    recipients = message["To"].addresses
    assert len(recipients) == 1
    assert recipients[0].addr_spec == to_address
    for name, value in message.items():
        assert EVIL not in recipients[0].addr_spec
        assert "\n" not in str(value) and "\r" not in str(value), name
    for part in message.walk():
        assert part["Bcc"] is None and part["X-Injected"] is None


def booking_named(name: str):
    booking, _ = booking_with_token(email="jo@example.org")
    booking.contact_name = name
    booking.patient.name = name
    db.session.commit()
    return booking


@pytest.mark.parametrize("name", NAMES, ids=[repr(n[2:4]) for n in NAMES])
def test_a_hostile_name_in_the_database_adds_no_mail_header_or_recipient(app, name):
    booking = booking_named(name)
    message = outbox.queue(MessageKind.BOOKED, booking, now=DEFAULT_NOW)
    db.session.commit()
    assert delivery.deliver_one(message.id, now=DEFAULT_NOW) == "sent"
    sent = db.session.get(OutboxMessage, message.id)
    assert sent.status is OutboxStatus.SENT
    files = sorted(mail_dir().glob(f"*-{message.id}-*.eml"))
    assert len(files) == 1
    raw = files[0].read_bytes()
    files[0].unlink()
    parsed = parse(raw)
    assert_one_recipient_and_no_injected_header(parsed, "jo@example.org")
    assert_calendar_is_clean(calendar_of(parsed))


def item_for(booking, *, name: str, to_address: str) -> QueuedEmail:
    """The outbox row's values with the snapshot's own cleaning bypassed."""
    snapshot = outbox.snapshot_of(booking, now=DEFAULT_NOW)
    snapshot["patient_name"] = name
    return QueuedEmail(
        id=999,
        kind=MessageKind.BOOKED,
        to_address=to_address,
        message_id="<abc@clinic.test>",
        snapshot=snapshot,
        created_at=DEFAULT_NOW,
    )


@pytest.mark.parametrize("name", NAMES, ids=[repr(n[2:4]) for n in NAMES])
def test_compose_given_a_raw_hostile_name_adds_no_header_or_recipient(app, name):
    booking = booking_named("Jo")
    built = compose(
        item_for(booking, name=name, to_address="jo@example.org"),
        manage_token="A" * 32,
        now=DEFAULT_NOW,
        policy=current_policy(),
    )
    parsed = parse(built.raw)
    assert_one_recipient_and_no_injected_header(parsed, "jo@example.org")
    assert built.envelope_to == "jo@example.org"
    assert_calendar_is_clean(calendar_of(parsed))


@pytest.mark.parametrize("address", EMAILS, ids=[repr(a[14:16]) for a in EMAILS])
def test_compose_given_a_hostile_address_refuses_or_sends_to_one_recipient(app, address):
    booking = booking_named("Jo")
    try:
        built = compose(
            item_for(booking, name="Jo", to_address=address),
            manage_token="A" * 32,
            now=DEFAULT_NOW,
            policy=current_policy(),
        )
    except ComposeError:
        return
    parsed = parse(built.raw)
    assert EVIL not in built.envelope_to
    recipients = parsed["To"].addresses
    assert len(recipients) == 1 and EVIL not in recipients[0].addr_spec
    assert parsed["Bcc"] is None and parsed["Cc"] is None


# --- The calendar -------------------------------------------------------------------------


def calendar_of(message) -> bytes:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("no calendar part")


def assert_calendar_is_clean(raw: bytes) -> None:
    text = raw.decode("utf-8")
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    for line in unfolded.split("\r\n"):
        assert not line.startswith("X-INJECTED"), line
        assert not line.startswith(("BCC", "CC:")), line
    assert "\n" not in text.replace("\r\n", "")  # no bare line ends
    for sep in ("\u2028", "\u2029", "\u0085"):
        assert sep not in text
    calendar = vobject.readOne(text)
    (event,) = calendar.vevent_list
    attendees = event.contents.get("attendee", [])
    assert len(attendees) == 1
    assert EVIL not in attendees[0].value
    for name in ("summary", "description", "location"):
        for prop in event.contents.get(name, []):
            assert "\r" not in prop.value and "\u2028" not in prop.value
    assert "x-injected" not in event.contents
    assert not any(key.startswith("x-inj") for key in event.contents)


def facts(**changes) -> ics.AppointmentFacts:
    start = DEFAULT_NOW + timedelta(days=3)
    values = {
        "uid": "abc@clinic.test",
        "sequence": 0,
        "status": "confirmed",
        "start": start,
        "end": start + timedelta(hours=1),
        "service_name": "Back massage",
        "clinic_name": "Clinic",
        "clinic_email": "hello@clinic.test",
        "clinic_address": "1 High St\nTown",
        "clinic_phone": "01234 567890",
        "manage_url": "https://clinic.test/manage/" + "A" * 32,
        "attendee_email": "jo@example.org",
        "attendee_name": "Jo",
        "dtstamp": DEFAULT_NOW,
    }
    return ics.AppointmentFacts(**{**values, **changes})


@pytest.mark.parametrize("name", ICS_NAMES, ids=[repr(n[2:4]) for n in ICS_NAMES])
@pytest.mark.parametrize("field", ["attendee_name", "service_name", "clinic_phone"])
def test_a_hostile_value_adds_no_calendar_property(name, field):
    for build in (lambda f: ics.invitation(f, "REQUEST"), ics.calendar_file):
        raw = build(facts(**{field: name}))
        assert_calendar_is_clean(raw)
        event = vobject.readOne(raw.decode()).vevent
        assert "\n" not in event.summary.value


@pytest.mark.parametrize("address", EMAILS, ids=[repr(a[14:16]) for a in EMAILS])
def test_a_hostile_attendee_address_is_refused_by_the_calendar(address):
    with pytest.raises(ValueError):
        ics.invitation(facts(attendee_email=address), "REQUEST")
