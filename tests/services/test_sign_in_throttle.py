"""Sign-in throttling per (account, address): the allowance, then doubling waits up to a
cap; another address is never held back; a correct password forgets the count; a burst
emails the owner once an hour; admins see and clear the blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, MessageKind, OutboxMessage
from booking.services import sign_in_throttle as throttle
from booking.services.audit import Actor
from tests.support.auth import make_staff

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
ACCOUNT = "reception@clinic.example"
GUESSER, DESK = "203.0.113.7", "198.51.100.2"


def fail(times: int, source: str = GUESSER, *, at: datetime = NOW, account: str = ACCOUNT):
    for _ in range(times):
        throttle.record_failure(account, source, now=at)


def alerts() -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.to_address).where(
                OutboxMessage.kind == MessageKind.STAFF_SIGN_IN_ALERT
            )
        )
    )


def test_the_free_allowance_then_a_wait_that_doubles_up_to_the_cap(app):
    fail(4)
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) == 0
    fail(1)  # the fifth refusal uses up the allowance
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) == 30
    fail(1)
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) == 60
    fail(20)
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) == 15 * 60
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW + timedelta(minutes=15)) == 0


def test_the_account_is_never_locked_for_another_address(app):
    fail(8)
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) > 0
    assert throttle.seconds_blocked(ACCOUNT, DESK, now=NOW) == 0


def test_a_correct_password_forgets_that_pair_only(app):
    fail(6)
    fail(6, DESK)
    throttle.record_success(ACCOUNT, DESK)
    assert throttle.seconds_blocked(ACCOUNT, DESK, now=NOW) == 0
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) > 0


def test_after_a_quiet_spell_the_count_starts_again(app):
    fail(4)
    quiet = NOW + timedelta(minutes=16)
    fail(1, at=quiet)
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=quiet) == 0
    [entry] = throttle.current(now=quiet)
    assert entry.failures == 1


def test_a_burst_from_many_addresses_emails_the_owner_once_an_hour(app):
    make_staff(email=ACCOUNT)
    for n in range(12):
        fail(1, f"192.0.2.{n}")
    assert alerts() == [ACCOUNT]
    fail(5, at=NOW + timedelta(minutes=30))
    assert alerts() == [ACCOUNT]


def test_no_alert_for_an_address_that_is_no_account(app):
    fail(12, account="nobody@clinic.example")
    assert alerts() == []


def test_admins_see_the_blocks_and_clearing_one_is_audited(app):
    desk = make_staff(email=ACCOUNT)
    fail(6)
    [entry] = throttle.current(now=NOW)
    assert (entry.account, entry.source, entry.failures) == (ACCOUNT, GUESSER, 6)
    assert entry.blocked_until == NOW + timedelta(seconds=60)
    assert throttle.clear(entry.id, actor=Actor.staff(desk.id), now=NOW) is True
    assert throttle.seconds_blocked(ACCOUNT, GUESSER, now=NOW) == 0
    assert throttle.current(now=NOW) == []
    assert throttle.clear(entry.id, actor=Actor.staff(desk.id), now=NOW) is False
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.sign_in_throttle_cleared")
    ).one()
    assert event.details == {"staff_id": desk.id}
