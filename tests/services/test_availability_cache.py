"""The availability cache answers like a fresh computation, and never goes stale."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, text

from booking.extensions import db
from booking.models import BookingStatus, Closure, WorkingHours
from booking.models.cache import SCHEDULE_TABLES
from booking.services import availability, availability_cache
from tests.support.builders import make_booking, make_room, make_service, make_therapist

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
THURSDAY = date(2027, 3, 11)


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    room = make_room()
    db.session.commit()
    return service, therapist, room


def cached(service, now=NOW, **kw):
    return [
        s.start
        for s in availability_cache.slots(service, 60, THURSDAY, THURSDAY, now=now, **kw).slots
    ]


def fresh(service, now=NOW, **kw):
    return [
        s.start
        for s in availability.slots_for(service, 60, THURSDAY, THURSDAY, now=now, **kw).slots
    ]


def count_statements(work):
    statements = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def test_every_table_that_shapes_availability_has_its_trigger(app):
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        ).scalars()
        names = set(rows)
        assert {f"tr_{t}_schedule_version" for t in SCHEDULE_TABLES} <= names
    else:
        names = set(
            db.session.execute(
                text("SELECT name FROM sqlite_master WHERE type='trigger'")
            ).scalars()
        )
        for table in SCHEDULE_TABLES:
            for action in ("insert", "update", "delete"):
                assert f"tr_{table}_{action}_schedule_version" in names


def test_a_repeat_request_is_answered_from_the_cache_with_one_small_query(clinic):
    service, _, _ = clinic
    first = cached(service)
    statements = count_statements(lambda: cached(service))
    assert cached(service) == first == fresh(service)
    assert len(statements) == 1 and "cache_versions" in statements[0]


def test_a_booking_written_anywhere_is_seen_on_the_next_request(clinic):
    service, therapist, room = clinic
    before = cached(service)
    taken = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
    assert taken in before
    make_booking(starts_at=taken, service=service, therapist=therapist, room=room)
    db.session.commit()
    after = cached(service)
    assert taken not in after
    assert after == fresh(service)


def test_changed_hours_and_closures_are_seen_on_the_next_request(clinic):
    service, therapist, _ = clinic
    assert cached(service)
    for hours in therapist.working_hours:
        if hours.weekday == 3:
            hours.end_minute = 10 * 60  # Thursday ends at 10:00
    db.session.commit()
    assert cached(service) == fresh(service)
    assert max(cached(service)) < datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
    db.session.add(
        Closure(
            starts_at=datetime(2027, 3, 11, tzinfo=UTC),
            ends_at=datetime(2027, 3, 12, tzinfo=UTC),
            reason="Boiler",
        )
    )
    db.session.commit()
    assert cached(service) == [] == fresh(service)
    assert db.session.query(WorkingHours).count()


def test_an_expiring_hold_frees_its_time_without_any_write(clinic):
    service, therapist, room = clinic
    start = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
    make_booking(
        starts_at=start,
        service=service,
        therapist=therapist,
        room=room,
        status=BookingStatus.HELD,
        hold_expires_at=NOW + timedelta(hours=3),
    )
    db.session.commit()
    assert start not in cached(service)
    later = NOW + timedelta(hours=3, minutes=1)
    assert start in cached(service, now=later)
    assert cached(service, now=later) == fresh(service, now=later)


def test_notice_and_the_hold_bound_apply_to_the_exact_now(clinic):
    service, _, _ = clinic
    early = datetime(2027, 3, 11, 7, 30, tzinfo=UTC)
    assert cached(service) == fresh(service)
    # Two hours' notice before Thursday 09:00 local (= 09:00 UTC in March).
    late = datetime(2027, 3, 11, 8, 0, tzinfo=UTC)
    assert cached(service, now=early) == fresh(service, now=early)
    assert cached(service, now=late) == fresh(service, now=late)
    bound = datetime(2027, 3, 11, 13, 0, tzinfo=UTC)
    assert cached(service, earliest_start=bound) == fresh(service, earliest_start=bound)


@pytest.mark.committed
def test_on_postgresql_the_version_is_raised_once_at_commit_and_not_locked_before(app):
    """A booking transaction must not hold the one version row while it does its other work:
    the row is taken only at the commit, once per transaction, with the change."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its one lock; its triggers fire per row")
    version = "SELECT version FROM cache_versions WHERE name = 'schedule'"
    with db.engine.connect() as writer, db.engine.connect() as other:
        before = other.exec_driver_sql(version).scalar_one()
        other.commit()
        writer.exec_driver_sql(
            "INSERT INTO rooms (slug, name, active, position) VALUES "
            "('deferred-a', 'A', true, 0), ('deferred-b', 'B', true, 1)"
        )
        writer.exec_driver_sql("UPDATE rooms SET position = 2 WHERE slug = 'deferred-a'")
        # Another writer can take the version row at once while the first is still open.
        other.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # not left on the pool's connection
        other.exec_driver_sql("UPDATE cache_versions SET version = version WHERE name = 'schedule'")
        other.commit()
        assert other.exec_driver_sql(version).scalar_one() == before  # not raised yet
        other.commit()
        writer.commit()
        assert other.exec_driver_sql(version).scalar_one() == before + 1  # once, at commit
        other.commit()
        writer.exec_driver_sql("DELETE FROM rooms WHERE slug IN ('deferred-a', 'deferred-b')")
        writer.commit()
