"""A completed session through the real verbs, and its follow-up's link from the real email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import FollowUp
from booking.services import visits
from booking.services.audit import Actor
from booking.worker.delivery import deliver_due
from booking.worker.jobs import run_jobs
from tests.support.notify import book, make_clinic, parse_mail

BOOKED_AT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)  # a 60-minute session, ends 11:00
END = START + timedelta(hours=1)
STAFF = Actor.system()


def completed_session(clinic=None, *, start=START, **fields):
    """Book (pain 3 at the screen), arrive and complete a session through the verbs."""
    clinic = clinic or make_clinic(service_name="Back massage")
    with clock.frozen(BOOKED_AT):
        booking = book(clinic, start, now=BOOKED_AT, **fields)
    visits.mark_arrived(booking.id, actor=STAFF, now=start - timedelta(minutes=5))
    visits.mark_completed(booking.id, actor=STAFF, now=start + timedelta(hours=1))
    return booking


def follow_up_of(booking) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.booking_id == booking.id))


def send_follow_ups(smtp_server, at: datetime) -> list:
    """Run one worker pass at ``at`` and return the follow-up emails it delivered."""
    before = len(smtp_server.received)
    run_jobs(at)
    deliver_due(at)
    return [
        parse_mail(r.data)
        for r in smtp_server.received[before:]
        if "/follow-up/" in r.data.decode("ascii", "replace")
    ]


def link_token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/follow-up/([A-Za-z0-9_-]+)", text).group(1)
