"""Health answers of bookings that never became confirmed are deleted after 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import BookingDraft, BookingStatus, Intake
from booking.services.retention import purge
from booking.worker import jobs
from tests.support.builders import make_booking
from tests.support.screens import severe

NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def with_intake(booking):
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers=severe().to_data(),
            outcome="hold",
            rule_codes=["q3.pain_score_at_least_threshold"],
            flags=[],
            consent_version="2026-11",
            consented_at=booking.created_at,
        )
    )
    db.session.flush()
    return booking


def answers_of(booking):
    db.session.expire_all()
    return db.session.scalar(select(Intake).where(Intake.booking_id == booking.id)).answers


def test_answers_of_old_never_confirmed_bookings_are_purged(app):
    old = NOW - timedelta(days=91)
    expired = with_intake(
        make_booking(
            starts_at=old + timedelta(days=5), status=BookingStatus.EXPIRED, created_at=old
        )
    )
    confirmed = with_intake(
        make_booking(
            starts_at=old + timedelta(days=6),
            status=BookingStatus.COMPLETED,
            created_at=old,
            confirmed_at=old + timedelta(days=1),
        )
    )
    recent = with_intake(
        make_booking(
            starts_at=NOW + timedelta(days=3),
            status=BookingStatus.HELD,
            hold_expires_at=NOW + timedelta(days=1),
            created_at=NOW - timedelta(days=10),
        )
    )
    db.session.commit()
    report = purge(now=NOW)
    assert report.answers_removed == 1
    assert answers_of(expired) is None
    assert answers_of(confirmed) is not None
    assert answers_of(recent) is not None
    # The outcome stays; only the answers go. A second run removes nothing.
    assert db.session.scalar(select(Intake).where(Intake.booking_id == expired.id)).outcome
    assert purge(now=NOW).answers_removed == 0


def test_old_booking_drafts_are_purged(app):
    db.session.add(
        BookingDraft(
            id="old", data={"service": "x"}, created_at=NOW, updated_at=NOW - timedelta(days=2)
        )
    )
    db.session.add(BookingDraft(id="new", data={}, created_at=NOW, updated_at=NOW))
    db.session.commit()
    assert purge(now=NOW).drafts_removed == 1
    assert [d.id for d in db.session.scalars(select(BookingDraft))] == ["new"]


def test_the_worker_runs_the_purge(app):
    old = NOW - timedelta(days=120)
    expired = with_intake(
        make_booking(
            starts_at=old + timedelta(days=5), status=BookingStatus.EXPIRED, created_at=old
        )
    )
    db.session.commit()
    jobs._last_purge = None
    counts = jobs.run_daily_duties(NOW)
    assert counts["answers_purged"] == 1
    assert answers_of(expired) is None


def test_the_purge_command(app):
    result = app.test_cli_runner().invoke(args=["booking", "purge"])
    assert result.exit_code == 0
    assert "Removed the answers of 0" in result.output
