"""Finding the patient a booking belongs to (one row per normalised email address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from booking.extensions import db
from booking.models import Patient


def find_or_create(*, name: str, email: str, phone: str, now: datetime) -> Patient:
    """Return the patient with ``email`` (already normalised), creating one if new.

    A returning patient's stored name and phone are never overwritten from a public form:
    a typo or someone else typing their address must not change their record. What was
    typed this time is kept on the booking instead.
    """
    if not email:
        # A phone-only caller: nothing to recognise them by safely (a phone number is
        # shared by households), so each booking from the form is a patient of its own
        # unless reception picked the existing record (``patient_id`` on the booking).
        return create(name=name, email="", phone=phone, now=now)
    patient = db.session.scalar(select(Patient).where(Patient.email == email))
    if patient is None:
        patient = create(name=name, email=email, phone=phone, now=now)
    return patient


def id_for(email: str):
    """SQL: the id of the patient with ``email`` (already normalised), or NULL."""
    return select(Patient.id).where(Patient.email == email).scalar_subquery()


def create(*, name: str, email: str, phone: str, now: datetime) -> Patient:
    """Add and flush a new patient; ``email`` empty for a phone-only caller (see above).

    For a caller that already looked the address up (:func:`id_for`) and found no one.
    """
    patient = Patient(name=name, email=email or None, phone=phone, created_at=now)
    db.session.add(patient)
    db.session.flush()
    return patient
