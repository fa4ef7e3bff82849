"""Mail: the outbox page, resend, and the synchronous test email against a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxMessage, OutboxStatus, StaffRole
from booking.notify import outbox
from tests.notify.conftest import SmtpServer, free_port
from tests.support.database import empty_database
from tests.web.test_reception_patients import actions, client_for

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


def add_message(status: OutboxStatus, *, to="pat@example.org", error=None, attempts=0, **fields):
    message = outbox.queue_test(to, now=NOW - timedelta(hours=1))
    message.status = status
    message.attempts = attempts
    message.last_error = error
    for key, value in fields.items():
        setattr(message, key, value)
    db.session.commit()
    return message


def test_mail_page_lists_every_status_with_errors_and_filters(app):
    client, _ = client_for(app, StaffRole.RECEPTION)
    add_message(OutboxStatus.SENT, to="sent@example.org", attempts=1, sent_at=NOW)
    add_message(OutboxStatus.PENDING, to="pending@example.org")
    add_message(
        OutboxStatus.FAILED, to="failed@example.org", error="SMTPConnectError: <down>", attempts=2
    )
    add_message(OutboxStatus.DEAD, to="dead@example.org", error="gave up", attempts=8)
    add_message(OutboxStatus.SKIPPED, to="skipped@example.org", error="the booking changed since")
    page = client.get("/reception/mail")
    assert page.status_code == 200
    for status in ("sent", "pending", "failed", "dead", "skipped"):
        assert f"{status}@example.org" in page.text
    assert "SMTPConnectError: &lt;down&gt;" in page.text
    assert "gave up" in page.text
    failed_only = client.get("/reception/mail?status=failed")
    assert "failed@example.org" in failed_only.text
    assert "dead@example.org" not in failed_only.text
    assert client.get("/reception/mail?status=nonsense").status_code == 200


def test_therapists_do_not_see_the_outbox(app):
    from tests.support.builders import make_therapist

    client, _ = client_for(app, StaffRole.THERAPIST, therapist_id=make_therapist().id)
    assert client.get("/reception/mail").status_code == 403
    message = add_message(OutboxStatus.DEAD)
    assert client.post(f"/reception/mail/{message.id}/resend").status_code == 403
    assert (
        client.post("/reception/mail/test", data={"to_address": "a@b.example"}).status_code == 403
    )


def test_resend_puts_a_dead_message_back_to_pending_and_is_audited(app):
    client, member = client_for(app, StaffRole.RECEPTION)
    message = add_message(OutboxStatus.DEAD, error="gave up", attempts=8)
    response = client.post(f"/reception/mail/{message.id}/resend")
    assert response.status_code == 303
    db.session.expire_all()
    again = db.session.get(OutboxMessage, message.id)
    assert again.status is OutboxStatus.PENDING
    assert again.attempts == 0
    assert again.last_error is None
    assert again.next_attempt_at == NOW
    (event,) = actions("mail.resent")
    assert event.staff_user_id == member.id
    assert event.details["old_status"] == "dead"
    assert event.details["old_error"] == "gave up"
    assert "will be sent again" in client.get("/reception/mail").text


def test_resend_refuses_pending_and_unknown_messages(app):
    client, _ = client_for(app, StaffRole.RECEPTION)
    message = add_message(OutboxStatus.PENDING)
    client.post(f"/reception/mail/{message.id}/resend")
    assert "cannot be resent" in client.get("/reception/mail").text
    assert client.post("/reception/mail/999999/resend").status_code == 404
    assert actions("mail.resent") == []


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def _mail_app(make_app, port):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=5)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_database()


def test_test_email_reports_the_servers_acceptance(make_app, smtp_server):
    for app in _mail_app(make_app, smtp_server.port):
        client, _ = client_for(app, StaffRole.ADMIN)
        response = client.post("/reception/mail/test", data={"to_address": "Owner@Clinic.example"})
        assert response.status_code == 303
        page = client.get("/reception/mail")
        assert "accepted the test email to owner@clinic.example" in page.text
        (received,) = smtp_server.received
        assert received.rcpt_tos == ["owner@clinic.example"]
        (message,) = db.session.scalars(select(OutboxMessage))
        assert message.kind is MessageKind.TEST
        assert message.status is OutboxStatus.SENT
        assert actions("mail.test_sent")


def test_test_email_reports_the_error_when_nothing_listens(make_app):
    for app in _mail_app(make_app, free_port()):
        client, _ = client_for(app, StaffRole.RECEPTION)
        client.post("/reception/mail/test", data={"to_address": "owner@clinic.example"})
        page = client.get("/reception/mail")
        assert "could not be sent" in page.text
        assert "ConnectionRefusedError" in page.text or "Connection refused" in page.text
        db.session.expire_all()
        (message,) = db.session.scalars(select(OutboxMessage))
        # Not retried behind the user's back: they have seen the error.
        assert message.status is OutboxStatus.DEAD


def test_test_email_needs_a_valid_address(app):
    client, _ = client_for(app, StaffRole.RECEPTION)
    response = client.post("/reception/mail/test", data={"to_address": "not an address"})
    assert response.status_code == 400
    assert "doesn" in response.text and "look right" in response.text
    assert db.session.scalars(select(OutboxMessage)).first() is None
