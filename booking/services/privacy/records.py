"""What both rights start from: the patient, or a refusal when there is none."""

from __future__ import annotations

from booking.extensions import db
from booking.models import Patient
from booking.services.errors import BookingError


def load_patient(patient_id: int) -> Patient:
    """Return the patient; raise BookingError("not_found") when there is none."""
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise BookingError("not_found", "There is no such patient.")
    return patient
