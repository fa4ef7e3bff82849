"""Claims and links: only the claim's holder sends, and a link is valid before it is sent."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxStatus
from booking.tokens import token_hash
from booking.worker.delivery import claim, deliver_one
from tests.support.notify import book, ensure_queued, make_clinic, messages

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)
LINK = re.compile(r"/manage/([A-Za-z0-9_-]{20,})")


def _one_booking():
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    ensure_queued(MessageKind.BOOKED, booking, now=NOW)
    return booking


def test_a_message_another_worker_holds_is_not_sent(mail_app, smtp_server):
    _one_booking()
    (message_id,) = claim(NOW, batch=10, owner="a" * 32)
    assert deliver_one(message_id, now=NOW, owner="b" * 32) == "gone"
    assert smtp_server.received == []
    assert deliver_one(message_id, now=NOW, owner="a" * 32) == "sent"
    assert len(smtp_server.received) == 1


@pytest.mark.committed  # another connection must see what the worker committed
def test_the_link_in_an_email_is_committed_before_the_mail_server_has_it(
    mail_app, smtp_server, database_url
):
    _one_booking()
    seen: list[bool] = []
    outside = create_engine(database_url)  # sees only what is committed

    def check(data: bytes) -> None:
        letter = email.message_from_bytes(data)
        body = next(p for p in letter.walk() if p.get_content_type() == "text/plain")
        (token,) = set(LINK.findall(body.get_payload(decode=True).decode()))
        with outside.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM manage_tokens WHERE token_hash = :h"),
                {"h": token_hash(token)},
            ).scalar()
        seen.append(stored == 1)

    original = smtp_server.handler.handle_DATA

    async def handle_data(server, session, envelope):
        check(envelope.original_content)
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = handle_data
    try:
        (message_id,) = claim(NOW, batch=10)
        db.session.rollback()
        assert deliver_one(message_id, now=NOW + timedelta(seconds=1)) == "sent"
    finally:
        outside.dispose()
    assert seen == [True]
    assert {m.status for m in messages()} == {OutboxStatus.SENT}
