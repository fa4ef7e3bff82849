"""The request to a patient's clinician, through a real SMTP server: to the clinician by
name, the patient's name and a working one-time link, and nothing else: no treatment, no
time, no health words, no invitation."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import ClinicianLinkToken, MessageKind, OutboxMessage, OutboxStatus
from booking.services import bookings, clinician_links
from booking.services.audit import Actor
from booking.worker.delivery import deliver_due
from tests.support.notify import book, make_clinic

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)
CANARY = "Quokkafeather"
NOTE = f"{CANARY} herniated disc, sciatica down the left leg"
LINK_RE = re.compile(r"https?://[^/\s]+/clinician/([A-Za-z0-9_-]{20,64})")
HEALTH_WORDS = ("pain", "sciatica", "herniated", "disc", "severe", "score", "deep tissue")


def received(smtp_server) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(r.data, policy=email.policy.default) for r in smtp_server.received
    ]


def held_with_request(*, email_to="a.patel@surgery.example"):
    clinic = make_clinic(service_name="Deep tissue massage")
    with clock.frozen(NOW):
        held = book(clinic, START, now=NOW, hold=True, note=NOTE, name="Jane Doe")
        clinician_links.send(
            held.id, name="Dr Amara Patel", email=email_to, actor=Actor.patient(), now=NOW
        )
    return held


def test_the_request_names_the_patient_carries_the_link_and_no_health_data(mail_app, smtp_server):
    held_with_request()
    deliver_due(NOW + timedelta(minutes=1))
    [request] = [m for m in received(smtp_server) if m["To"].addresses[0].username == "a.patel"]
    assert request["To"].addresses[0].display_name == "Dr Amara Patel"
    clinic_name = mail_app.config["CLINIC_NAME"]
    assert request["Subject"] == f"Please complete a clearance for massage at {clinic_name}"
    text = request.get_body(preferencelist=("plain",)).get_content()
    html = request.get_body(preferencelist=("html",)).get_content()
    assert "Dear Dr Amara Patel" in text
    assert "Your patient Jane Doe has asked us" in text
    assert "massage treatment" in text
    types = {part.get_content_type() for part in request.walk()}
    assert not types & {"text/calendar", "application/ics"}
    for body in (text, html, request["Subject"]):
        lowered = body.lower()
        assert CANARY.lower() not in lowered
        for word in HEALTH_WORDS:
            assert word not in lowered, word
        # Not when or what: the clinician sees the treatment planned on the page itself.
        assert "16 march" not in lowered and "10:00" not in lowered
    # The link in it opens the request, and only its hash is stored.
    token = LINK_RE.search(text).group(1)
    assert token in html
    with clock.frozen(NOW):
        assert clinician_links.find(token, now=NOW) is not None
    assert db.session.scalar(select(ClinicianLinkToken.token_hash)) != token
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CLINICIAN_REQUEST)
    )
    assert token not in str(message.snapshot)


def test_a_request_whose_hold_ended_before_it_was_sent_is_not_sent(mail_app, smtp_server):
    held = held_with_request()
    bookings.cancel(held.id, actor=Actor.patient(), now=NOW)
    deliver_due(NOW + timedelta(minutes=1))
    assert all(m["To"].addresses[0].username != "a.patel" for m in received(smtp_server))
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CLINICIAN_REQUEST)
    )
    db.session.refresh(message)
    assert message.status is OutboxStatus.SKIPPED
    assert db.session.scalar(select(ClinicianLinkToken.id)) is None
