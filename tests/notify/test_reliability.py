"""Outages, crashes and parallel workers: every message arrives, exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from booking import clock
from booking.extensions import db
from booking.models import MessageKind, OutboxStatus
from booking.notify import outbox
from booking.notify.settings import setting
from booking.services.locking import write_transaction
from booking.worker.delivery import claim, deliver_due, retry_delay
from tests.support.notify import book, ensure_queued, make_clinic, messages, parse_mail

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 16, 10, 0, tzinfo=UTC)


def _two_bookings():
    clinic = make_clinic()
    with clock.frozen(NOW):
        first = book(clinic, START, now=NOW)
        second = book(clinic, START + timedelta(hours=2), now=NOW, email="sam@example.org")
    for booking in (first, second):
        ensure_queued(MessageKind.BOOKED, booking, now=NOW)
    return first, second


def _message_ids(smtp_server) -> Counter[str]:
    return Counter(parse_mail(r.data)["Message-ID"] for r in smtp_server.received)


def test_smtp_down_delays_mail_and_loses_nothing(mail_app_down, smtp_down):
    first, second = _two_bookings()  # booking works with the mail server down
    assert {first.status, second.status} == {first.status}

    counts = deliver_due(NOW)
    assert counts["failed"] == 2
    for message in messages():
        assert message.status is OutboxStatus.FAILED
        assert message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error
        assert message.next_attempt_at == NOW + timedelta(seconds=60)
        assert message.claimed_until is None

    smtp_down.start()
    assert deliver_due(NOW + timedelta(seconds=30)).total() == 0  # not due yet
    later = NOW + timedelta(seconds=61)
    assert deliver_due(later)["sent"] == 2
    assert deliver_due(later + timedelta(hours=2)).total() == 0
    ids = _message_ids(smtp_down)
    assert sorted(ids) == sorted(m.message_id for m in messages())
    assert set(ids.values()) == {1}
    for message in messages():
        db.session.refresh(message)
        assert message.status is OutboxStatus.SENT
        assert message.attempts == 2
        assert message.last_error is None


def test_failures_back_off_exponentially_then_give_up(mail_app_down, smtp_down):
    mail_app_down.config["MAIL_MAX_ATTEMPTS"] = 4
    first, _ = _two_bookings()
    now = NOW
    delays = []
    for _ in range(4):
        deliver_due(now)
        message = messages(first.id)[0]
        db.session.refresh(message)
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert message.status is OutboxStatus.DEAD
    assert message.attempts == 4
    assert message.last_error
    assert delays[:3] == [timedelta(seconds=s) for s in (60, 120, 240)]
    assert retry_delay(20) == timedelta(seconds=3600)  # capped
    assert deliver_due(now + timedelta(days=1)).total() == 0  # dead stays dead


def test_a_failed_send_keeps_no_manage_link(mail_app_down, smtp_down):
    from booking.models import ManageToken

    _two_bookings()
    links_before = db.session.query(ManageToken).count()
    deliver_due(NOW)
    assert db.session.query(ManageToken).count() == links_before
    smtp_down.start()
    deliver_due(NOW + timedelta(minutes=5))
    assert db.session.query(ManageToken).count() == links_before + 2


def test_a_worker_killed_mid_batch_loses_nothing(mail_app, smtp_server):
    _two_bookings()
    claimed = claim(NOW, batch=10)
    assert len(claimed) == 2
    db.session.remove()  # the worker dies: nothing is marked
    lease = timedelta(seconds=int(setting("MAIL_CLAIM_LEASE_SECONDS")))
    assert lease <= timedelta(minutes=1)  # a crashed worker's mail waits under a minute
    assert deliver_due(NOW + lease / 2).total() == 0  # still leased
    after_lease = NOW + lease
    assert deliver_due(after_lease + timedelta(seconds=1))["sent"] == 2
    assert set(_message_ids(smtp_server).values()) == {1}
    assert {m.status for m in messages()} == {OutboxStatus.SENT}


def test_a_rolled_back_change_sends_nothing(mail_app, smtp_server):
    clinic = make_clinic()
    with clock.frozen(NOW):
        booking = book(clinic, START, now=NOW)
    with pytest.raises(RuntimeError), write_transaction():
        booking.ics_sequence += 1
        outbox.queue(MessageKind.RESCHEDULED, booking, now=NOW)
        raise RuntimeError("the change fails after queueing")
    assert [m.kind for m in messages()] in ([], [MessageKind.BOOKED])
    assert all(m.kind is not MessageKind.RESCHEDULED for m in messages())


@pytest.mark.committed
def test_two_workers_in_parallel_send_each_message_once(mail_app, smtp_server):
    _two_bookings()
    with write_transaction():
        for n in range(28):
            outbox.queue_test(f"someone{n}@example.org", now=NOW)
    expected = {m.message_id for m in messages()}
    assert len(expected) == 30
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    results: list[Counter] = []

    def work() -> None:
        try:
            with mail_app.app_context():
                start.wait()
                total: Counter = Counter()
                while True:
                    counts = deliver_due(NOW, batch=4)
                    if not counts.total():
                        break
                    total.update(counts)
                results.append(total)
                db.session.remove()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    ids = _message_ids(smtp_server)
    assert set(ids) == expected
    assert set(ids.values()) == {1}
    assert sum(r["sent"] for r in results) == 30
    db.session.rollback()  # a fresh snapshot: the workers committed in other sessions
    assert {m.status for m in messages()} == {OutboxStatus.SENT}
