"""Sign-in throttling that cannot be turned on staff.

Wrong passwords slow down the address they come from, for the account tried, and only
there: the staff member signing in from elsewhere is never locked out. A burst of refusals
emails the staff member (through the outbox, delivered to aiosmtpd here); admins see the
addresses being slowed down and can clear them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import AuditEvent, MessageKind, OutboxMessage, StaffRole
from booking.worker.delivery import deliver_due
from tests.conftest import DEFAULT_NOW
from tests.security.test_mail_headers import assert_one_clean_message
from tests.web.test_auth import PASSWORD, make_staff
from tests.web.test_reception_actions import signed_in

ATTACKER = "203.0.113.66"
DESK = "198.51.100.10"
WRONG = "wrong password!"


def attempt(client, *, source: str, email="desk@clinic.example", password=PASSWORD):
    return client.post(
        "/staff/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": source},
    )


def alerts() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.STAFF_SIGN_IN_ALERT)
        )
    )


def test_guessing_from_one_address_never_locks_the_staff_member_out(app):
    make_staff()
    with clock.frozen(DEFAULT_NOW):
        attacker = app.test_client()
        for _ in range(5):
            assert attempt(attacker, source=ATTACKER, password=WRONG).status_code == 200
        blocked = attempt(attacker, source=ATTACKER)  # even the right password waits there
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["Retry-After"]) <= 30
        assert "Too many attempts" in blocked.text
        # The staff member, at the front desk, signs in as usual.
        desk = app.test_client()
        assert attempt(desk, source=DESK).status_code == 303
        # And the attacker's address may still try other accounts' doors as usual.
        make_staff(email="other@clinic.example", name="Oona Other")
        assert attempt(attacker, source=ATTACKER, email="other@clinic.example").status_code == 303


def test_the_wait_grows_with_every_further_refusal(app):
    make_staff()
    client = app.test_client()
    moment = DEFAULT_NOW
    with clock.frozen(moment):
        for _ in range(5):
            attempt(client, source=ATTACKER, password=WRONG)
        first = int(attempt(client, source=ATTACKER).headers["Retry-After"])
    moment += timedelta(seconds=first + 1)
    with clock.frozen(moment):
        assert attempt(client, source=ATTACKER, password=WRONG).status_code == 200
        second = int(attempt(client, source=ATTACKER).headers["Retry-After"])
    assert second > first
    # A correct password once the wait is over forgets the count.
    moment += timedelta(seconds=second + 1)
    with clock.frozen(moment):
        assert attempt(client, source=ATTACKER).status_code == 303


def test_an_unknown_address_is_throttled_the_same_way(app):
    """So the answer never tells which emails have accounts."""
    with clock.frozen(DEFAULT_NOW):
        client = app.test_client()
        for _ in range(5):
            assert (
                attempt(client, source=ATTACKER, email="nobody@clinic.example").status_code == 200
            )
        assert attempt(client, source=ATTACKER, email="nobody@clinic.example").status_code == 429
    assert alerts() == []


def test_a_burst_of_refusals_emails_the_staff_member_once(app, sending_app, smtp_server):
    make_staff()
    with clock.frozen(DEFAULT_NOW):
        client = app.test_client()
        for number in range(12):  # from 12 addresses: each stays under its own limit
            attempt(client, source=f"203.0.113.{number}", password=WRONG)
    (alert,) = alerts()
    assert alert.to_address == "desk@clinic.example"
    assert deliver_due(DEFAULT_NOW + timedelta(seconds=5))["sent"] == 1
    message, _ = assert_one_clean_message(smtp_server, to="desk@clinic.example")
    assert "staff account" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "not locked" in text
    assert "203.0.113" not in text  # addresses are for admins, not for email
    # The burst goes on: still one email this hour.
    with clock.frozen(DEFAULT_NOW + timedelta(minutes=20)):
        for number in range(12, 20):
            attempt(client, source=f"203.0.113.{number}", password=WRONG)
    assert len(alerts()) == 1


def test_admins_see_who_is_slowed_down_and_can_clear_it(app):
    make_staff()
    with clock.frozen(DEFAULT_NOW):
        attacker = app.test_client()
        for _ in range(5):
            attempt(attacker, source=ATTACKER, password=WRONG)
        assert attempt(attacker, source=ATTACKER).status_code == 429
        admin, _ = signed_in(app, StaffRole.ADMIN)
        page = admin.get("/reception/admin/sign-in")
        assert page.status_code == 200
        assert "desk@clinic.example" in page.text and ATTACKER in page.text
        (entry_id,) = {int(part.split("/")[0]) for part in page.text.split("/sign-in/")[1:]}
        cleared = admin.post(f"/reception/admin/sign-in/{entry_id}/clear")
        assert cleared.status_code == 303
        assert attempt(attacker, source=ATTACKER).status_code == 303
    db.session.rollback()
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "staff.sign_in_throttle_cleared")
    )


def test_only_admins_may_clear(app):
    reception, _ = signed_in(app, StaffRole.RECEPTION)
    assert reception.get("/reception/admin/sign-in").status_code == 403
    assert reception.post("/reception/admin/sign-in/1/clear").status_code == 403
