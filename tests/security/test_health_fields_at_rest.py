"""Every field that can carry health information is ciphertext in the database's own bytes.

A canary word goes into each of them (screen answers, rule codes and flags, the patient's
note, staff notes, clearance details and reasons, audit details, an unfinished draft's
answers); then the raw database is searched: the SQLite file's bytes, or every PostgreSQL
row as text. A fresh database of the kind under test is used, so what was written is
really committed to it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from booking.extensions import db
from booking.models import (
    AuditEvent,
    BookingDraft,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    ClinicianKind,
    Intake,
    StaffNote,
)
from booking.services import bookings, clearance, retention, visits
from booking.services.audit import Actor
from tests.builders import make_room, make_service, make_therapist
from tests.screens import severe
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
CANARY = "Quokkacanary"
# Words the rule codes and flags of the canary screen carry.
CODE_WORDS = ("pain_score_at_least_threshold", "blood_thinners", "q3.", "q8.history")


def _write_every_health_field() -> None:
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    make_room()
    db.session.commit()

    def held(start: datetime, email: str):
        return bookings.book(
            bookings.BookingRequest(
                service_id=service.id,
                minutes=60,
                start=start,
                therapist_id=therapist.id,
                name="Pat Smith",
                email=email,
                phone="+447700900123",
                note=f"{CANARY} note: herniated disc",
                screen=severe(history={"blood_thinners"}),
            ),
            actor=Actor.patient(),
            now=NOW,
        ).booking

    first = held(datetime(2027, 3, 12, 10, 0, tzinfo=UTC), "pat@example.org")
    second = held(datetime(2027, 3, 12, 14, 0, tzinfo=UTC), "sam@example.org")
    clearance.attest(
        first.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            clinician_name=f"Dr {CANARY}",
            clinician_kind=ClinicianKind.GP,
            consultation_date=date(2027, 3, 8),
            restriction_ticks=("avoid_area",),
            restrictions=f"{CANARY} restriction: left hip",
            truthful=True,
        ),
        actor=Actor.patient(),
        now=NOW + timedelta(minutes=1),
    )
    clearance.extend_hold(
        first.id,
        reason=f"{CANARY} GP appointment for the sciatica",
        actor=Actor.staff(None),
        now=NOW + timedelta(minutes=2),
    )
    clearance.attest(
        second.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED,
            source=ClearanceSource.PHONE,
            staff_reason=f"{CANARY} GP phoned about the sciatica",
        ),
        actor=Actor.staff(None),
        now=NOW + timedelta(minutes=3),
    )
    visits.add_note(first.id, f"{CANARY} staff note: sciatica", actor=Actor.staff(None), now=NOW)
    db.session.add(
        BookingDraft(
            id="canary-draft",
            data={"screen": severe().to_data(), "details": {"note": f"{CANARY} draft"}},
            created_at=NOW,
            updated_at=NOW,
        )
    )
    db.session.commit()


def _raw_database_text() -> bytes:
    """Everything the database holds, as it holds it."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        db.session.commit()
        path = Path(url.database)
        wal = Path(f"{url.database}-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    chunks = []
    for table in inspect(db.engine).get_table_names():
        rows = db.session.execute(text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars()
        chunks.extend(row.encode() for row in rows)
    return b"\n".join(chunks)


@pytest.mark.committed  # its own fresh database, with real commits to read back as bytes
def test_no_health_field_is_readable_in_the_raw_database(make_app, empty_database_url):  # noqa: F811
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        _write_every_health_field()
        db.session.expire_all()
        # The canary really is stored, and reads back through the models.
        intake = db.session.scalars(select(Intake)).first()
        assert "blood_thinners" in intake.flags and intake.rule_codes
        assert any(CANARY in n.body for n in db.session.scalars(select(StaffNote)))
        reasons = [c.staff_reason for c in db.session.scalars(select(Clearance))]
        assert any(CANARY in r for r in reasons)
        details = [e.details for e in db.session.scalars(select(AuditEvent))]
        assert any(CANARY in str(d) for d in details)
        assert CANARY in str(db.session.get(BookingDraft, "canary-draft").data)

        raw = _raw_database_text().lower()
        assert b"pat@example.org" in raw, "the search sees plain columns"
        for word in (CANARY.lower(), "sciatica", "herniated", "left hip", *CODE_WORDS):
            assert word.encode() not in raw, word

        # The retention purge removes the health fields of the booking never confirmed (the
        # first: its clearance still waits for approval); the confirmed one keeps its record.
        unconfirmed = db.session.scalars(select(Intake).order_by(Intake.id)).first().booking_id
        audit_row = select(AuditEvent).where(AuditEvent.booking_id == unconfirmed)
        assert any(CANARY in str(e.details) for e in db.session.scalars(audit_row))
        report = retention.purge(now=NOW + timedelta(days=120))
        assert report.answers_removed == 1 and report.notes_removed == 1
        db.session.expire_all()
        found = db.session.scalar(select(Intake).where(Intake.booking_id == unconfirmed))
        assert found.answers is None and found.rule_codes == [] and found.flags == []
        own = db.session.scalar(select(Clearance).where(Clearance.booking_id == unconfirmed))
        assert own.restrictions == "" and own.clinician_name == "" and own.screen_answers is None
        assert not any(CANARY in str(e.details) for e in db.session.scalars(audit_row))
        assert db.session.get(BookingDraft, "canary-draft") is None
        db.session.remove()
    if empty_database_url.startswith("sqlite:///"):
        os.remove(empty_database_url.removeprefix("sqlite:///"))
