"""A patient's privacy rights, for an admin: export everything we hold, or erase it.

Both verbs are audited (``patient.exported``, ``patient.erased``) and own their transaction.

Erasure keeps what the clinic must keep and the facts that do not identify anyone: the
bookings stay (times, service, therapist, status, price) so the calendar, reports and the
audit trail still add up, but nothing in them names, reaches or describes the patient.

``export`` answers the right of access, ``erasure`` the right to erasure; both start from
``records.load_patient``. Everything is importable from here, as before the split.
"""

from __future__ import annotations

from booking.services.privacy.erasure import ERASED, ERASED_NAME, ErasureReport, erase_patient
from booking.services.privacy.export import EXPORT_FORMAT, export_patient

__all__ = [
    "ERASED",
    "ERASED_NAME",
    "EXPORT_FORMAT",
    "ErasureReport",
    "erase_patient",
    "export_patient",
]
