"""The one write-transaction helper: it starts clean or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from booking.extensions import db
from booking.models import Room
from booking.services.locking import (
    PendingChanges,
    pending_changes,
    run_in_write_transaction,
    write_transaction,
)
from tests.support.builders import make_room
from tests.support.database import on_postgresql, statements_sent


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


def test_keep_loaded_answers_from_memory_and_the_next_transaction_reads_afresh(app):
    with write_transaction(keep_loaded=True):
        room = _add_room("kept")
    with statements_sent(control=True) as sent:
        assert (room.name, room.slug) == ("Kept", "kept")  # no query after the commit
    assert sent == []
    # Changed behind the ORM's back: the session's next transaction must not trust memory.
    db.session.execute(text("UPDATE rooms SET name = 'Changed' WHERE id = :id"), {"id": room.id})
    assert room.name == "Changed"


def test_go_on_reading_skips_the_commit_on_postgresql_only(app):
    commits: list[bool] = []

    def note(session):
        commits.append(True)

    make_room()
    assert _rooms() == 1  # a read: the session is in a transaction with nothing to keep
    event.listen(Session, "after_commit", note)
    try:
        run_in_write_transaction(lambda: _add_room("written"), go_on_reading=True)
    finally:
        event.remove(Session, "after_commit", note)
    # SQLite must take its write lock before the re-check reads: the read is ended first.
    assert len(commits) == (1 if on_postgresql() else 2)
    assert _rooms() == 2
