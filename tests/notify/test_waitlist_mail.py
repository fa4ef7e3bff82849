"""Waitlist emails through a real SMTP server: the entry's link, the offer with its time,
therapist and how long it is kept, and never a calendar invitation (nothing is booked)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxMessage, OutboxStatus, WaitlistOffer
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.waitlist import answers
from booking.services.waitlist.offering import offer_free_times
from booking.worker.delivery import deliver_due
from tests.builders import make_room, make_service, make_therapist
from tests.waitlist.helpers import NOW, ONE_SLOT, book, join, later

LINK_RE = re.compile(r"https?://[^/\s]+(/waitlist/[A-Za-z0-9_-]{20,64}(?:/offers/[0-9a-f]{32})?)")


@pytest.fixture
def clinic(mail_app):
    service = make_service(name="Back care", durations=((60, 5000),))
    make_therapist(services=[service], hours=ONE_SLOT, name="Tess Therapist")
    make_room()
    db.session.commit()
    return service.id


def received(smtp_server) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(r.data, policy=email.policy.default) for r in smtp_server.received
    ]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def no_invitation(message) -> bool:
    types = {part.get_content_type() for part in message.walk()}
    return not types & {"text/calendar", "application/ics"}


def test_joining_emails_the_entrys_own_link_and_no_invitation(mail_app, smtp_server, clinic):
    join(clinic)
    assert deliver_due(later(1))["sent"] == 1
    [message] = received(smtp_server)
    assert message["To"].addresses[0].addr_spec == "waiting0@example.org"
    assert message["Subject"] == "You're on the waitlist: Back care"
    body = text_of(message)
    assert "Thursday 11 March 2027" in body and "Nothing is booked yet" in body
    assert no_invitation(message)
    path = LINK_RE.search(body).group(1)
    with clock.frozen(later(2)):
        page = mail_app.test_client().get(path)
    assert page.status_code == 200 and "Your waitlist place" in page.get_data(as_text=True)


def test_the_offer_email_gives_the_time_the_therapist_and_how_long_it_is_kept(
    mail_app, smtp_server, clinic
):
    taken = book(clinic)
    entry, _ = join(clinic)
    bookings.cancel(taken, actor=Actor.patient(), now=later(1), enforce_cutoff=False)
    assert offer_free_times(now=later(2)) == 1
    deliver_due(later(2))
    [offer_mail] = [m for m in received(smtp_server) if "A time has come up" in m["Subject"]]
    assert offer_mail["Subject"] == (
        "A time has come up: Back care, Thu 11 Mar 10:00. Reply by Wed 10 Mar 09:32"
    )
    body = text_of(offer_mail)
    assert "Thursday 11 March 2027, 10:00 (London time, GMT)" in body
    assert "with Tess Therapist" in body
    assert "keeping it for you until Wednesday 10 March 2027, 09:32" in body
    assert "Nothing is booked until you confirm it" in body
    assert no_invitation(offer_mail)
    path = LINK_RE.search(body).group(1)
    offer = db.session.scalar(select(WaitlistOffer).where(WaitlistOffer.entry_id == entry))
    assert path.endswith(f"/offers/{offer.public_id}")
    with clock.frozen(later(3)):
        page = mail_app.test_client().get(path)
    assert page.status_code == 200 and "Take this time" in page.get_data(as_text=True)


def test_an_offer_that_ended_before_its_email_left_is_not_sent(mail_app, smtp_server, clinic):
    join(clinic)
    assert offer_free_times(now=later(1)) == 1
    offer = db.session.scalar(select(WaitlistOffer))
    assert answers.decline(offer.id, now=later(2))
    deliver_due(later(3))
    subjects = [m["Subject"] for m in received(smtp_server)]
    assert subjects == ["You're on the waitlist: Back care"]
    [skipped] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.WAITLIST_OFFER)
    )
    assert skipped.status is OutboxStatus.SKIPPED


def test_each_send_mints_a_link_of_its_own(mail_app, smtp_server, clinic):
    join(clinic)
    message = db.session.scalar(select(OutboxMessage))
    assert "token" not in str(message.snapshot).lower()
    deliver_due(NOW + timedelta(minutes=1))
    [mail] = received(smtp_server)
    token = LINK_RE.search(text_of(mail)).group(1).rsplit("/", 1)[1]
    assert token not in str(message.snapshot)
