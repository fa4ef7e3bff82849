"""A booked course's email: one message, one invitation per session, each its own event."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import MessageKind, OutboxMessage
from booking.notify.compose import QueuedEmail, compose
from booking.notify.settings import calendar_uid
from booking.services.clinic_settings import current_policy
from tests.services.test_courses import NOW, book
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.ics import assert_wire_format, parse
from tests.support.screens import fine, severe

TOKEN = "t" * 32
SENT = datetime(2026, 10, 5, 8, 5, tzinfo=UTC)


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), course_sessions=6, name="Back course")
    therapist = make_therapist(services=[service], name="Amira Hassan")
    make_room()
    return service, therapist


def composed(course):
    [message] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.COURSE_BOOKED)
    ).all()
    assert message.booking_id == course.bookings[0].id
    item = QueuedEmail(
        message.id,
        message.kind,
        message.to_address,
        message.message_id,
        dict(message.snapshot),
        message.created_at,
    )
    return compose(item, manage_token=TOKEN, now=SENT, policy=current_policy())


def parts(raw: bytes):
    message = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert message.get_content_type() == "multipart/mixed"
    alternative, *attachments = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, inline = alternative.get_payload()
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    return plain.get_content(), html.get_content(), inline.get_payload(decode=True), attachments


def test_one_email_carries_every_sessions_invitation_each_its_own_event(clinic):
    course = book(*clinic, screen=fine())
    # One email for the course, none per session.
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == [MessageKind.COURSE_BOOKED]
    text, html, inline, attachments = parts(composed(course).raw)
    names = [a.get_filename() for a in attachments]
    assert names == ["invite.ics"] + [f"invite-{n}.ics" for n in range(2, 7)]
    calendars = [a.get_payload(decode=True) for a in attachments]
    assert calendars[0] == inline  # ICS.md rule 2: invite.ics is the inline part's bytes
    uids, starts = [], []
    for calendar, session in zip(calendars, course.bookings, strict=True):
        assert_wire_format(calendar)
        parsed = parse(calendar)  # vobject, the independent parser
        assert parsed.method.value == "REQUEST"
        assert len(parsed.vevent_list) == 1
        event = parsed.vevent
        uids.append(event.uid.value)
        assert event.uid.value == calendar_uid(session.public_id)
        assert int(event.sequence.value) == session.ics_sequence == 0
        assert event.status.value == "CONFIRMED"
        assert event.dtstart.value == session.starts_at
        starts.append(event.dtstart.value)
        assert f"/manage/{TOKEN}~{session.course_session}" in event.description.value or (
            session.course_session == 1 and f"/manage/{TOKEN}" in event.description.value
        )
    assert len(set(uids)) == 6
    # 10:00 in London each week: 09:00 UTC before the clocks go back, 10:00 after.
    assert [s.astimezone(UTC).hour for s in starts] == [9, 9, 9, 10, 10, 10]
    for body in (text, html):
        assert "Session 6" in body or ">6<" in body
        assert "£300" in body and "£50" in body
        assert "Thursday 29 October 2026, 10:00 (London time, GMT)" in body
        assert "Thursday 8 October 2026, 10:00 (London time, BST)" in body


def test_a_held_course_sends_tentative_invitations_and_the_safety_net(clinic):
    course = book(*clinic, screen=severe())
    text, _html, _inline, attachments = parts(composed(course).raw)
    for attachment in attachments:
        assert parse(attachment.get_payload(decode=True)).vevent.status.value == "TENTATIVE"
    assert "One answer from them covers the whole course" in text
    assert "999" in text
    for word in ("severe", "pain score", "8/10"):
        assert word not in text.lower()


def test_a_later_change_to_one_session_uses_its_own_message(clinic):
    from booking.services import bookings
    from booking.services.audit import Actor

    course = book(*clinic, screen=fine())
    bookings.cancel(course.bookings[4].id, actor=Actor.patient(), now=NOW)
    cancel = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLED)
    )
    assert cancel.booking_id == course.bookings[4].id
    assert cancel.snapshot["ics_sequence"] == 1
    assert cancel.snapshot["public_id"] == course.bookings[4].public_id


def test_the_patients_name_is_only_where_erasure_scrubs_it(clinic):
    course = book(*clinic, screen=fine())
    message = db.session.scalar(select(OutboxMessage))
    assert message.snapshot["patient_name"] == "Pat Smith"
    assert all("patient_name" not in s for s in message.snapshot["course"]["sessions"])
    _text, _html, _inline, attachments = parts(composed(course).raw)
    for attachment in attachments:  # every invitation still names its attendee
        assert parse(attachment.get_payload(decode=True)).vevent.attendee.params["CN"] == [
            "Pat Smith"
        ]
