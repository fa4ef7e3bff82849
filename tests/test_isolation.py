"""The suite's own promise: what a test commits is a SAVEPOINT, gone when the test ends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Room
from booking.services.locking import write_transaction
from tests.support.builders import make_room


def _rooms_seen_by_another_connection() -> int:
    with db.engine.connect() as other:
        return other.scalar(select(func.count()).select_from(Room))


def test_a_commit_inside_a_test_is_seen_by_the_test_and_by_no_other_connection(app):
    with write_transaction():
        make_room()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Room)) == 1
    assert _rooms_seen_by_another_connection() == 0


def test_a_rollback_after_a_commit_keeps_what_was_committed(app):
    make_room()  # commits
    db.session.add(Room(slug="uncommitted", name="Uncommitted"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Room)) == 1


@pytest.mark.committed
def test_a_committed_test_really_commits(app):
    make_room()
    db.session.commit()
    assert _rooms_seen_by_another_connection() == 1


def test_the_demo_clinic_is_there_for_tests_that_ask(app, demo):
    assert db.session.scalar(select(func.count()).select_from(Room)) > 0


def test_and_not_for_the_others(app):
    assert db.session.scalar(select(func.count()).select_from(Room)) == 0
