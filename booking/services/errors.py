"""The one error root service verbs raise when they refuse, and its reason codes.

Every refusal carries a ``Reason`` (a ``StrEnum``, so it compares equal to its string and
serialises as one in JSON and templates), a ``message`` the person can read and, when one
input is at fault, the ``field``. Each area has its own subclass so a view can catch only
what its verb raises; the web layer maps the root to pages and JSON in one place
(``booking.web.refusals``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why a verb refused; stable codes that API clients and templates rely on."""

    # Finding things
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_DURATION = "unknown_duration"
    UNKNOWN_THERAPIST = "unknown_therapist"
    # Input that cannot be used
    INVALID = "invalid"
    REQUIRED = "required"
    EMAIL_REQUIRED = "email_required"
    BAD_RANGE = "bad_range"
    BAD_WEEKDAYS = "bad_weekdays"
    BAD_DAY_PARTS = "bad_day_parts"
    # Times and states
    TAKEN = "taken"
    SAME_TIME = "same_time"
    CUTOFF = "cutoff"
    TOO_EARLY = "too_early"
    TOO_MANY = "too_many"
    NOT_ACTIVE = "not_active"
    NOT_HELD = "not_held"
    NOT_PENDING = "not_pending"
    WRONG_STATUS = "wrong_status"
    ALREADY_EXTENDED = "already_extended"
    OVERRIDE_NOT_ALLOWED = "override_not_allowed"
    # What the pain screen and the clearance allow
    SCREEN_REQUIRED = "screen_required"
    NOT_SUITABLE = "not_suitable"
    RESTRICTED = "restricted"
    EMERGENCY = "emergency"
    URGENT = "urgent"
    DECLINED = "declined"
    # Waiting list
    WAITLIST_CAP = "waitlist_cap"
    OFFER_CLAIMED = "offer_claimed"
    OFFER_ENDED = "offer_ended"
    NOT_WAITING = "not_waiting"
    ALREADY_OFFERED = "already_offered"
    NOT_FREE = "not_free"
    NO_OFFER = "no_offer"
    # Courses of treatment
    NO_COURSE = "no_course"
    NOT_IN_COURSE = "not_in_course"
    # The follow-up after a session
    ALREADY_ANSWERED = "already_answered"
    OFFER_OPEN = "offer_open"
    # Staff accounts
    DUPLICATE_EMAIL = "duplicate_email"
    INVALID_EMAIL = "invalid_email"
    INVALID_NAME = "invalid_name"
    INVALID_ROLE = "invalid_role"
    WEAK_PASSWORD = "weak_password"  # noqa: S105  (a reason code, not a password)
    WRONG_CODE = "wrong_code"
    NO_SECRET = "no_secret"  # noqa: S105  (a reason code, not a secret)
    ALREADY_ENROLLED = "already_enrolled"
    THERAPIST_REQUIRED = "therapist_required"
    THERAPIST_NOT_ALLOWED = "therapist_not_allowed"
    # Setting the clinic up
    DUPLICATE_DURATION = "duplicate_duration"
    LAST_DURATION = "last_duration"
    NO_DURATIONS = "no_durations"
    INVALID_BUFFER = "invalid_buffer"
    INVALID_HOURS = "invalid_hours"
    INVALID_MINUTES = "invalid_minutes"
    INVALID_PRICE = "invalid_price"
    INVALID_TEXT = "invalid_text"


def _reason(code: str) -> Reason:
    try:
        return Reason(code)
    except ValueError:  # a typo in a verb would otherwise reach API clients unnoticed
        raise ValueError(
            f"unknown refusal reason {code!r}: add it to booking.services.errors.Reason"
        ) from None


class Refusal(Exception):
    """A refusal with a stable ``reason`` code and a ``message`` a person can act on.

    ``alternatives`` carries nearby free starts when the refusal is "that time was just
    taken"; ``field`` names the input at fault when there is one.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        field: str | None = None,
        alternatives: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.reason = _reason(reason)
        self.message = message
        self.field = field
        self.alternatives = list(alternatives)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason.value!r})"


class BookingError(Refusal):
    """A booking, hold, clearance, visit or waiting-list verb refused."""


class StaffError(Refusal):
    """A staff-account verb (accounts, passwords, TOTP) refused."""


class CatalogError(Refusal):
    """Setting the clinic up (services, therapists, hours, rooms, feeds) was refused."""


class NotAllowed(Refusal):
    """The staff member may not see or do this (the web layer answers 403)."""

    def __init__(self, message: str = "You may not see this.") -> None:
        super().__init__(Reason.NOT_ALLOWED, message)


class SettingsError(Refusal):
    """Refused settings: ``errors`` maps each bad key to a message staff can act on."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(Reason.INVALID, "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
