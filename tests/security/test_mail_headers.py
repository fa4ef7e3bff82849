"""No input reaches a mail header undecoded: the bytes an SMTP server receives are checked.

The whole family of header tricks (RFC 2047 encoded words in the Q and B encodings carrying
CR, LF, NEL, U+2028 and U+2029, folded whitespace, raw line breaks) is sent through every
door that leads to an email: the web booking flow, the API, reception's booking of a caller,
staff accounts, the catalogue (service names are in subjects) and the clinic's own identity
(its name and sender are in every From). Each door refuses them and changes nothing. Below the
doors, the same values planted in the database are delivered by the worker to aiosmtpd on
loopback, and the bytes received must hold exactly the expected headers and one recipient:
the app encodes display names itself, so this holds on Python 3.11.7, which lacks the
CVE-2024-6923 fix.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import json
from datetime import timedelta
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest
from sqlalchemy import func, select

from booking import ConfigurationError, clock, create_app
from booking.extensions import db
from booking.ics import clean_line
from booking.models import Booking, MessageKind, OutboxMessage, Service, StaffRole, StaffUser
from booking.notify import outbox
from booking.services import catalog_admin
from booking.services import staff as staff_service
from booking.services.audit import Actor
from booking.services.errors import CatalogError
from booking.services.staff import StaffError
from booking.worker.delivery import deliver_due
from tests.builders import make_room, make_service, make_therapist
from tests.conftest import DEFAULT_NOW
from tests.security import booking_with_token
from tests.security.test_input_limits import DETAILS, TIMED, state, with_draft
from tests.web.test_api_bookings import valid
from tests.web.test_reception_actions import caller, signed_in

EVIL = "evil@example.com"


def _b(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


B_LF = _b(f"Eve\nBcc: {EVIL}")
B_CRLF = _b(f"Eve\r\nReply-To: {EVIL}")
B_LS = _b(f"Eve\u2028Bcc: {EVIL}")


#: Every way we know to smuggle a header line through a display name or a subject.
FAMILY = {
    "Q-LF": f"=?UTF-8?Q?Eve=0ABcc:_{EVIL}?=",
    "Q-CRLF": f"=?UTF-8?Q?Eve=0D=0ABcc:_{EVIL}?=",
    "Q-CR": f"=?utf-8?q?Eve=0DReply-To:_{EVIL}?=",
    "Q-NEL": f"=?UTF-8?Q?Eve=C2=85Bcc:_{EVIL}?=",
    "Q-LS": f"=?UTF-8?Q?Eve=E2=80=A8Bcc:_{EVIL}?=",
    "Q-PS": f"=?UTF-8?Q?Eve=E2=80=A9Bcc:_{EVIL}?=",
    "Q-body": "=?UTF-8?Q?Eve=0A=0AYour_card_expired:_http://evil.example?=",
    "Q-lang": f"=?UTF-8*en?Q?Eve=0ABcc:_{EVIL}?=",
    "Q-latin1": f"=?ISO-8859-1?Q?Eve=0AReply-To:_{EVIL}?=",
    "Q-inside": f"Jo =?UTF-8?Q?=0ABcc:_{EVIL}?= Bloggs",
    "B-LF": f"=?UTF-8?B?{B_LF}?=",
    "B-CRLF": f"=?UTF-8?B?{B_CRLF}?=",
    "B-LS": f"=?utf-8?b?{B_LS}?=",
    "fold-space": f"Eve\r\n Bcc: {EVIL}",
    "fold-tab": f"Eve\r\n\tReply-To: {EVIL}",
    "LF": f"Eve\nBcc: {EVIL}",
    "CR": f"Eve\rBcc: {EVIL}",
    "NEL": f"Eve\x85Bcc: {EVIL}",
    "LS": f"Eve\u2028Bcc: {EVIL}",
    "PS": f"Eve\u2029Bcc: {EVIL}",
    "VT": f"Eve\x0bBcc: {EVIL}",
    "FF": f"Eve\x0cBcc: {EVIL}",
}
PAYLOADS = list(FAMILY.values())
IDS = list(FAMILY)

#: The top-level headers of every email, and nothing else.
EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def outbox_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# --- Every door refuses the family ----------------------------------------------------------


def test_the_web_booking_flow_refuses_every_trick_in_the_name(client, demo):
    with_draft(client, **TIMED)
    before = state()
    for payload in PAYLOADS:
        response = client.post("/book/details", data={**DETAILS, "name": payload})
        assert response.status_code == 400, payload
        assert state() == before
    assert outbox_count() == 0


def test_the_api_refuses_every_trick_in_the_name(client, demo):
    before = state()
    for payload in PAYLOADS:
        response = client.post(
            "/api/v1/bookings",
            data=json.dumps(valid(name=payload)),
            content_type="application/json",
        )
        assert response.status_code == 400, (payload, response.get_data(as_text=True)[:300])
        assert "name" in response.get_data(as_text=True)
        assert state() == before
    assert outbox_count() == 0


def test_reception_refuses_every_trick_in_a_callers_name(app):
    service = make_service(durations=((60, 5000),), name="Back massage")
    make_therapist(services=[service], name="Tess Therapist")
    make_room()
    db.session.commit()
    clinic = {"service": service}
    client, _ = signed_in(app)
    for number, payload in enumerate(PAYLOADS):
        response = client.post(
            "/reception/book", data=caller(clinic, name=payload, form_key=f"k{number}")
        )
        assert response.status_code == 400, payload
    db.session.rollback()
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert outbox_count() == 0


def test_staff_accounts_and_the_catalogue_refuse_every_trick(app):
    for payload in PAYLOADS:
        with pytest.raises(StaffError):
            staff_service.create_staff(
                email="new@clinic.example",
                name=payload,
                role="reception",
                password="correct horse battery",
                actor=Actor.system(),
                now=DEFAULT_NOW,
            )
        with pytest.raises(CatalogError):  # a service's name is in every subject about it
            catalog_admin.create_service(
                name=payload,
                summary="Fine",
                minutes=60,
                price_pence=5000,
                actor=Actor.system(),
                now=DEFAULT_NOW,
            )
        with pytest.raises(CatalogError):
            catalog_admin.create_therapist(
                name=payload, title="", actor=Actor.system(), now=DEFAULT_NOW
            )
    db.session.rollback()
    assert db.session.scalar(select(func.count(StaffUser.id))) == 0
    assert db.session.scalar(select(func.count(Service.id))) == 0


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_the_app_refuses_to_start_with_a_trick_in_its_mail_identity(payload, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    for settings in (
        {"CLINIC_NAME": payload},
        {"MAIL_DEFAULT_SENDER": f"{payload} <bookings@clinic.example>"},
        {"MAIL_DEFAULT_SENDER": (payload, "bookings@clinic.example")},
    ):
        with pytest.raises(ConfigurationError, match="mail header"):
            create_app({"TESTING": True, **settings})


def test_the_reception_test_email_refuses_a_second_recipient(app):
    client, _ = signed_in(app, role=StaffRole.ADMIN)
    for payload in (f"jo@example.org\r\nBcc: {EVIL}", f"jo@example.org, {EVIL}"):
        response = client.post("/reception/mail/test", data={"to_address": payload})
        assert response.status_code in (400, 403, 404), payload
    assert outbox_count() == 0


# --- Below the doors: the bytes on the wire -------------------------------------------------


def received_headers(raw: bytes) -> list[str]:
    """The names of the top-level header lines, in order, read straight off the bytes."""
    block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # header bytes must be ASCII
    names = []
    for line in block.split("\r\n"):
        assert "\n" not in line and "\r" not in line, line
        if line[:1] in (" ", "\t"):
            continue  # a fold we made: it continues the header above
        names.append(line.split(":", 1)[0])
    return names


def assert_one_clean_message(smtp_server, *, to: str):
    """The one message received, parsed, after checking its bytes; and the bytes."""
    (received,) = smtp_server.received
    smtp_server.received.clear()
    assert received.rcpt_tos == [to]
    assert received_headers(received.data) == EXPECTED_HEADERS
    message = BytesParser(policy=email.policy.default).parsebytes(received.data)
    for name in ("Bcc", "Cc", "Reply-To"):
        assert message[name] is None
    (recipient,) = message["To"].addresses
    assert recipient.addr_spec == to
    return message, received.data


def shown_name(raw: bytes, header: str = "To") -> str:
    """The display name as an RFC 2047 reader shows it (adjacent encoded words joined).

    (The standard library's structured parser keeps the fold between two encoded words as a
    space, which RFC 2047 section 6.2 says to drop, so the compat32 decoder is used here.)
    """
    value = BytesParser(policy=email.policy.compat32).parsebytes(raw)[header]
    phrase = value.rsplit("<", 1)[0].strip()
    if phrase.startswith('"'):
        return email.utils.unquote(phrase)
    return str(make_header(decode_header(phrase)))


def deliver(message_id: int) -> None:
    db.session.commit()
    counts = deliver_due(DEFAULT_NOW + timedelta(seconds=5))
    assert counts["sent"] == 1, (message_id, counts)


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_a_trick_planted_in_a_name_arrives_as_one_clean_message(sending_app, smtp_server, payload):
    booking, _ = booking_with_token(email="jo@example.org")
    booking.contact_name = payload
    booking.patient.name = payload
    message = outbox.queue(MessageKind.BOOKED, booking, now=DEFAULT_NOW)
    deliver(message.id)
    _, raw = assert_one_clean_message(smtp_server, to="jo@example.org")
    # Shown as the literal text typed (line breaks as spaces), never decoded into a header.
    assert shown_name(raw) == clean_line(payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_a_trick_planted_in_a_service_name_arrives_as_one_clean_subject(
    sending_app, smtp_server, payload
):
    booking, _ = booking_with_token(email="jo@example.org")
    booking.service.name = payload
    message = outbox.queue(MessageKind.BOOKED, booking, now=DEFAULT_NOW)
    deliver(message.id)
    _, raw = assert_one_clean_message(smtp_server, to="jo@example.org")
    assert clean_line(payload) in shown_name(raw, "Subject")


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_a_trick_in_the_clinics_name_arrives_as_one_clean_from(sending_app, smtp_server, payload):
    # As if the setting had changed after start (the start-up check refuses it before that).
    sending_app.config["CLINIC_NAME"] = payload
    sending_app.config["MAIL_DEFAULT_SENDER"] = ("", "bookings@clinic.example")
    db.session.add(outbox.queue_test("jo@example.org", now=DEFAULT_NOW))
    deliver(0)
    parsed, raw = assert_one_clean_message(smtp_server, to="jo@example.org")
    (sender,) = parsed["From"].addresses
    assert sender.addr_spec == "bookings@clinic.example"
    assert shown_name(raw, "From") == clean_line(payload)
    assert clean_line(payload) in shown_name(raw, "Subject")


# --- Names as people write them arrive exactly as written ----------------------------------

NAMES = [
    "Sam 🙂 Lee 👩\u200d⚕️",
    'Mary O\'Brien, Jr.; "Molly"',
    "Zoë Ørsted-Łukasiewicz",
    "王小明",
    "محمد علي",
    "Ngũgĩ wa Thiong'o",
    "Ana =?? María",  # an equals sign and question marks are not an encoded word
    'Dr. Jo ("JJ") <Smith>',
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_any_script_is_booked_and_mailed_exactly(
    client, demo, sending_app, smtp_server, name
):
    response = client.post(
        "/api/v1/bookings",
        data=json.dumps(valid(name=name, email="ada+spa@example.org")),
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert response.get_json()["booking"]["name"] == name
    deliver_due(DEFAULT_NOW + timedelta(seconds=5))
    parsed, raw = assert_one_clean_message(smtp_server, to="ada+spa@example.org")
    assert shown_name(raw) == name
    html = parsed.get_body(("html",)).get_content()
    text = parsed.get_body(("plain",)).get_content()
    assert name.replace(".", ".\u2060").replace(":", ":\u2060") in text
    assert "<Smith>" not in html  # escaped in HTML
