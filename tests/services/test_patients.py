"""Patients: one record per email address, never overwritten from a public form; a caller
without an email is a patient of their own each time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Patient
from booking.services import patients

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Patient))


def test_a_new_address_makes_a_new_patient(app):
    patient = patients.find_or_create(
        name="Pat Smith", email="pat@example.org", phone="+447700900123", now=NOW
    )
    assert patient.id is not None
    assert (patient.name, patient.email, patient.created_at) == (
        "Pat Smith",
        "pat@example.org",
        NOW,
    )


def test_a_returning_address_finds_the_patient_and_keeps_their_details(app):
    first = patients.find_or_create(
        name="Pat Smith", email="pat@example.org", phone="+447700900123", now=NOW
    )
    again = patients.find_or_create(
        name="Someone Else", email="pat@example.org", phone="+447700900999", now=NOW
    )
    assert again.id == first.id
    assert (again.name, again.phone) == ("Pat Smith", "+447700900123")
    assert count() == 1


def test_callers_without_an_email_are_never_merged(app):
    one = patients.find_or_create(name="Sam", email="", phone="+447700900123", now=NOW)
    two = patients.find_or_create(name="Sam", email="", phone="+447700900123", now=NOW)
    assert one.id != two.id
    assert one.email is None and two.email is None


def test_id_for_finds_the_patient_by_address_in_sql(app):
    patient = patients.create(name="Pat", email="pat@example.org", phone="", now=NOW)
    assert db.session.scalar(select(patients.id_for("pat@example.org"))) == patient.id
    assert db.session.scalar(select(patients.id_for("nobody@example.org"))) is None
