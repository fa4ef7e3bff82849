"""The database model, one module per concept.

Importing this package registers every table on ``db.metadata`` (Alembic needs them all).
"""

from booking.models.audit import ActorKind, AuditEvent
from booking.models.booking import Booking, BookingSource, BookingStatus, ManageToken
from booking.models.cache import CacheVersion
from booking.models.catalog import Service, ServiceDuration
from booking.models.clinical import (
    ApprovalState,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    ClinicianKind,
    Intake,
    ScreenOutcomeCount,
)
from booking.models.clinician import ClinicianLink, ClinicianLinkToken
from booking.models.course import Course
from booking.models.draft import BookingDraft
from booking.models.feeds import FeedToken
from booking.models.followup import FollowUp, FollowUpToken
from booking.models.notes import StaffNote
from booking.models.outbox import MessageKind, OutboxMessage, OutboxStatus
from booking.models.people import Patient, Therapist
from booking.models.schedule import Closure, Room, TimeOff, WorkingHours
from booking.models.settings import ClinicSetting
from booking.models.sign_in import SignInThrottle
from booking.models.staff import StaffRole, StaffUser
from booking.models.waitlist import (
    FreedTime,
    OfferState,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)

__all__ = [
    "ActorKind",
    "ApprovalState",
    "AuditEvent",
    "Booking",
    "BookingDraft",
    "BookingSource",
    "BookingStatus",
    "CacheVersion",
    "Clearance",
    "ClearanceOutcome",
    "ClearanceSource",
    "ClinicSetting",
    "ClinicianKind",
    "ClinicianLink",
    "ClinicianLinkToken",
    "Closure",
    "Course",
    "FeedToken",
    "FollowUp",
    "FollowUpToken",
    "FreedTime",
    "Intake",
    "ManageToken",
    "MessageKind",
    "OfferState",
    "OutboxMessage",
    "OutboxStatus",
    "Patient",
    "Room",
    "ScreenOutcomeCount",
    "Service",
    "ServiceDuration",
    "SignInThrottle",
    "StaffNote",
    "StaffRole",
    "StaffUser",
    "Therapist",
    "TimeOff",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistToken",
    "WorkingHours",
]
