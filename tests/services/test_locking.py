"""The one write-transaction helper: it starts clean or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Room
from booking.services.locking import (
    PendingChanges,
    pending_changes,
    run_in_write_transaction,
    write_transaction,
)
from tests.support.builders import make_room


def _rooms() -> int:
    return db.session.scalar(select(func.count()).select_from(Room))


def _add_room(slug: str) -> Room:
    room = Room(slug=slug, name=slug.title())
    db.session.add(room)
    return room


def test_changes_left_pending_are_refused_not_committed(app):
    _add_room("left-behind")
    with pytest.raises(PendingChanges, match="1 new"), write_transaction():
        _add_room("the-verbs-own")
    db.session.rollback()
    assert _rooms() == 0


def test_changes_already_flushed_are_refused_too(app):
    _add_room("flushed")
    db.session.flush()
    assert pending_changes()
    with pytest.raises(PendingChanges, match="flushed=True"):
        run_in_write_transaction(lambda: _add_room("the-verbs-own"))
    db.session.rollback()
    assert _rooms() == 0


def test_a_changed_loaded_row_is_refused(app):
    room = make_room(name="Before")
    room.name = "After"
    with pytest.raises(PendingChanges, match="1 changed"), write_transaction():
        pass
    db.session.rollback()
    assert db.session.get(Room, room.id).name == "Before"


def test_a_read_only_transaction_is_ended_and_the_verb_runs(app):
    make_room()
    assert _rooms() == 1  # a read: the session is in a transaction with nothing to keep
    assert db.session().in_transaction() and not pending_changes()
    run_in_write_transaction(lambda: _add_room("written"))
    db.session.rollback()
    assert _rooms() == 2


def test_after_a_commit_or_a_rollback_the_session_is_clean_again(app):
    _add_room("committed")
    db.session.commit()
    assert not pending_changes()
    _add_room("dropped")
    db.session.flush()
    db.session.rollback()
    assert not pending_changes()
    with write_transaction():
        _add_room("written")
    assert _rooms() == 2
