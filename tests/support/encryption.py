"""Encrypted data to look at: a cleared booking with every encrypted column filled, and apps
built on one test database with the keys a test names (key rotation, a wrong key)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text

from booking.extensions import db
from booking.models import Clearance, ClearanceOutcome, ClinicianKind, Intake
from booking.services import bookings, clearance
from booking.services.audit import Actor
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.database import empty_database
from tests.support.screens import severe

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)
FRIDAY_10 = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
CLINICIAN = "Dr Canary-Clinician"
RESTRICTIONS = "Avoid the canary-restriction shoulder"
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


def held_and_cleared() -> tuple[int, int]:
    """A held booking with screen answers, cleared with restrictions; returns their ids."""
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    make_room()
    db.session.commit()
    booking = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=FRIDAY_10,
            therapist_id=therapist.id,
            name="Pat Smith",
            email="pat@example.org",
            phone="+447700900123",
            screen=severe(),
        ),
        actor=Actor.patient(),
        now=NOW,
    ).booking
    result = clearance.attest(
        booking.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            clinician_name=CLINICIAN,
            clinician_kind=ClinicianKind.GP,
            consultation_date=date(2027, 3, 8),
            restriction_ticks=("avoid_area",),
            restrictions=RESTRICTIONS,
            truthful=True,
        ),
        actor=Actor.patient(),
        now=NOW + timedelta(hours=1),
    )
    return booking.id, result.clearance.id


def raw(sql: str, **params):
    return db.session.execute(text(sql), params).one()


def snapshot() -> dict:
    """Every encrypted value, decrypted through the models."""
    intake = db.session.scalars(select(Intake)).one()
    found = db.session.scalars(select(Clearance)).one()
    return {
        "answers": intake.answers,
        "clinician_name": found.clinician_name,
        "restrictions": found.restrictions,
        "restriction_ticks": found.restriction_ticks,
        "screen_answers": found.screen_answers,
    }


def keyed_apps(make_app) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database with given keys; empty it afterwards (a fixture's
    body: ``yield from keyed_apps(make_app)``)."""
    apps = []

    def build(*keys):
        app = make_app(DATA_ENCRYPTION_KEYS=list(keys))
        apps.append(app)
        return app

    yield build
    with apps[0].app_context():
        db.session.rollback()
        empty_database()
