"""Rows queued for the commit: written with it (one statement on PostgreSQL), or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from booking import clock, deferred
from booking.extensions import db
from booking.models import AuditEvent, ManageToken, Room
from booking.services.locking import write_transaction
from tests.support.builders import make_booking
from tests.support.database import on_postgresql, statements_sent

STARTS = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit_row(booking_id: int | None, action: str):
    return insert(AuditEvent.__table__).values(
        occurred_at=clock.now(),
        actor_kind="system",
        staff_user_id=None,
        booking_id=booking_id,
        action=action,
        details={"n": action},
    )


def _token_row(booking_id: int, digest: str):
    return insert(ManageToken.__table__).values(
        booking_id=booking_id, token_hash=digest, created_at=clock.now(), revoked_at=None
    )


@pytest.fixture
def sent():
    with statements_sent() as statements:
        yield statements


def test_queued_rows_are_written_with_the_commit_in_queued_order(app, sent):
    booking = make_booking(starts_at=STARTS)
    booking_id = booking.id
    sent.clear()
    with write_transaction():
        deferred.insert(_audit_row(booking_id, "first"))
        deferred.insert(_token_row(booking_id, "a" * 64))
        deferred.insert(_audit_row(booking_id, "second"))
        assert deferred.pending() == 3
        assert not sent, "nothing is sent before the commit"
    assert len(sent) == (1 if on_postgresql() else 3), sent
    sent.clear()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.booking_id == booking_id)
    ).all()
    assert sorted(actions) == ["first", "second"]
    assert db.session.scalar(select(ManageToken.token_hash)) == "a" * 64
    # Encrypted columns go through their types as in any insert.
    details = db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "first"))
    assert details == {"n": "first"}
    assert deferred.pending() == 0


def test_a_rollback_drops_what_was_queued(app):
    booking = make_booking(starts_at=STARTS)
    with pytest.raises(RuntimeError), write_transaction():
        deferred.insert(_audit_row(booking.id, "never"))
        raise RuntimeError("refused before the commit")
    assert deferred.pending() == 0
    db.session.commit()  # nothing queued is left for a later commit to send
    assert _count(AuditEvent) == 0


def test_a_refused_queued_row_is_refused_before_the_commit_and_nothing_is_kept(app):
    # The row's refusal is certain ("nothing was saved"), not an unknown commit outcome.
    with pytest.raises(IntegrityError), write_transaction():
        db.session.add(Room(slug="kept-only-with-the-rest", name="Room"))
        deferred.insert(_token_row(987654, "b" * 64))  # no such booking
    # Rolled back already: the session goes on (a refusal's alternatives are read next).
    assert _count(Room) == 0 and _count(ManageToken) == 0


def test_any_commit_sends_them(app):
    booking = make_booking(starts_at=STARTS)
    deferred.insert(_audit_row(booking.id, "plain-commit"))
    db.session.commit()
    assert _count(AuditEvent) == 1


def test_rows_of_one_table_keep_their_own_values(app, sent):
    # insert_row binds values by name: two rows of one table never share a statement,
    # where their names would collide.
    booking = make_booking(starts_at=STARTS)
    booking_id = booking.id
    sent.clear()
    values = {
        "occurred_at": clock.now(),
        "actor_kind": "system",
        "staff_user_id": None,
        "booking_id": booking_id,
    }
    with write_transaction():
        deferred.insert_row(AuditEvent.__table__, {**values, "action": "a", "details": {"n": 1}})
        deferred.insert_row(ManageToken.__table__, {
            "booking_id": booking_id, "token_hash": "c" * 64, "created_at": clock.now(),
            "revoked_at": None,
        })  # fmt: skip
        deferred.insert_row(AuditEvent.__table__, {**values, "action": "b", "details": {"n": 2}})
    assert len(sent) == (2 if on_postgresql() else 3), sent
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.details).where(AuditEvent.booking_id == booking_id)
    ).all()
    assert sorted((action, details["n"]) for action, details in rows) == [("a", 1), ("b", 2)]
    assert db.session.scalar(select(ManageToken.token_hash)) == "c" * 64
