"""When the follow-up is sent: not before 24 h after the session, by 48 h, once, and only
after a completed session. The clock is frozen at named instants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import BookingSource, MessageKind, OutboxMessage, OutboxStatus
from booking.services import bookings, visits
from booking.services.audit import Actor
from booking.worker.jobs import run_jobs
from tests.followup.helpers import (
    BOOKED_AT,
    END,
    START,
    completed_session,
    follow_up_of,
    link_token,
    send_follow_ups,
)
from tests.support.notify import book, make_clinic


def follow_up_messages() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.FOLLOW_UP)
    )


def test_nothing_is_sent_before_24_hours(mail_app, smtp_server):
    booking = completed_session()
    assert send_follow_ups(smtp_server, END + timedelta(hours=23, minutes=59)) == []
    assert follow_up_of(booking) is None


def test_sent_at_24_hours_with_a_working_link(mail_app, smtp_server):
    completed_session()
    (message,) = send_follow_ups(smtp_server, END + timedelta(hours=24))
    token = link_token(message)
    page = mail_app.test_client().get(f"/follow-up/{token}")
    assert page.status_code == 200
    assert b"How bad is your pain now" in page.data


def test_a_session_completed_late_is_still_followed_up_by_48_hours(mail_app, smtp_server):
    clinic = make_clinic(service_name="Back massage")
    booking = book(clinic, START, now=BOOKED_AT)
    visits.mark_arrived(booking.id, actor=Actor.system(), now=START)
    # Reception only marks it completed the next afternoon; the worker was down until then.
    visits.mark_completed(booking.id, actor=Actor.system(), now=END + timedelta(hours=30))
    assert len(send_follow_ups(smtp_server, END + timedelta(hours=47, minutes=59))) == 1


def test_sent_once_however_often_the_job_runs(mail_app, smtp_server):
    booking = completed_session()
    first = END + timedelta(hours=24)
    assert len(send_follow_ups(smtp_server, first)) == 1
    for later in (first, first + timedelta(minutes=5), END + timedelta(hours=47)):
        assert send_follow_ups(smtp_server, later) == []
    assert follow_up_messages() == 1
    assert follow_up_of(booking) is not None


def test_the_delay_is_the_admins_setting(mail_app, smtp_server):
    mail_app.config["FOLLOW_UP_DELAY_HOURS"] = 36
    completed_session()
    assert send_follow_ups(smtp_server, END + timedelta(hours=35)) == []
    assert len(send_follow_ups(smtp_server, END + timedelta(hours=36))) == 1


def test_a_delay_outside_24_to_48_hours_is_held_to_those_bounds(mail_app, smtp_server):
    mail_app.config["FOLLOW_UP_DELAY_HOURS"] = 2
    completed_session()
    assert send_follow_ups(smtp_server, END + timedelta(hours=3)) == []
    assert len(send_follow_ups(smtp_server, END + timedelta(hours=24))) == 1


@pytest.mark.parametrize("ending", ["cancelled", "no_show", "arrived"])
def test_no_follow_up_unless_the_session_was_completed(mail_app, smtp_server, ending):
    clinic = make_clinic(service_name="Back massage")
    booking = book(clinic, START, now=BOOKED_AT)
    if ending == "cancelled":
        bookings.cancel(booking.id, actor=Actor.patient(), now=BOOKED_AT + timedelta(hours=1))
    elif ending == "no_show":
        visits.mark_no_show(booking.id, actor=Actor.system(), now=START + timedelta(minutes=20))
    else:
        visits.mark_arrived(booking.id, actor=Actor.system(), now=START)
    assert send_follow_ups(smtp_server, END + timedelta(hours=30)) == []
    assert follow_up_of(booking) is None


def test_a_phone_only_patient_gets_no_email_and_no_second_try(mail_app, smtp_server):
    booking = completed_session(email="", source=BookingSource.RECEPTION)
    assert send_follow_ups(smtp_server, END + timedelta(hours=25)) == []
    assert follow_up_of(booking) is not None
    assert run_jobs(END + timedelta(hours=26))["follow_up"] == 0


def test_the_email_is_marked_sent(mail_app, smtp_server):
    completed_session()
    send_follow_ups(smtp_server, END + timedelta(hours=24))
    (status,) = db.session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.kind == MessageKind.FOLLOW_UP)
    )
    assert status is OutboxStatus.SENT
