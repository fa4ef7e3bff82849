"""Booking verbs: book, reschedule, cancel. Each owns its transaction.

Every verb re-checks availability inside a serialised write transaction (see
``services.locking``) and raises ``BookingError`` when it refuses; nothing is written then.

``making`` books a time, ``changes`` moves and cancels one, ``checks`` holds the rules a
new booking must pass (screen, clearance restrictions, online caps), ``common`` what they
share (the request, the policy snapshot, "just taken" with the nearest free times).
"""

from booking.services.bookings.changes import ChangeRules, cancel, change_rules, reschedule
from booking.services.bookings.checks import RESTRICTED_MESSAGE, _assess
from booking.services.bookings.common import (
    ACTIVE,
    TAKEN_MESSAGE,
    UNKNOWN_MESSAGE,
    BookingRequest,
    BookingResult,
    find_by_form_key,
    find_by_token,
    hold_expiry_for,
    nearest_alternatives,
    policy_snapshot,
)
from booking.services.bookings.making import book, reissue_link

__all__ = [
    "ACTIVE",
    "RESTRICTED_MESSAGE",
    "TAKEN_MESSAGE",
    "UNKNOWN_MESSAGE",
    "BookingRequest",
    "BookingResult",
    "ChangeRules",
    "_assess",  # the waitlist runs the booking flow's own screen on a wish
    "book",
    "cancel",
    "change_rules",
    "find_by_form_key",
    "find_by_token",
    "hold_expiry_for",
    "nearest_alternatives",
    "policy_snapshot",
    "reissue_link",
    "reschedule",
]
