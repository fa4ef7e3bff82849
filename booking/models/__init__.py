"""The database model, one module per concept.

Importing this package registers every table on ``db.metadata`` (Alembic needs them all).
"""

from booking.models.audit import ActorKind, AuditEvent
from booking.models.booking import Booking, BookingSource, BookingStatus, ManageToken
from booking.models.catalog import Service, ServiceDuration
from booking.models.draft import BookingDraft
from booking.models.people import Patient, Therapist
from booking.models.schedule import Closure, Room, TimeOff, WorkingHours
from booking.models.staff import StaffRole, StaffUser

__all__ = [
    "ActorKind",
    "AuditEvent",
    "Booking",
    "BookingDraft",
    "BookingSource",
    "BookingStatus",
    "Closure",
    "ManageToken",
    "Patient",
    "Room",
    "Service",
    "ServiceDuration",
    "StaffRole",
    "StaffUser",
    "Therapist",
    "TimeOff",
    "WorkingHours",
]
