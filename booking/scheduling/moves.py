"""A booking's life as data: which status changes are allowed, and what each one means.

Each ``Step`` is one thing that can happen to an existing booking (a hold confirmed, a
booking cancelled, a patient arriving, ...): the statuses it may start from, the status it
leads to (``None`` when the status stays, as when a booking is moved to another time), the
audit event it writes, the message the patient is sent, whether it frees the booked time,
and the refusal when the booking is not (or no longer) in a state the step allows.

``booking.services.transitions`` applies a step to a row (compare-and-set, audit, outbox);
this module only says what is allowed, so the rules can be read and tested in one place.
Creating a booking (held, confirmed, or an offer's reservation) is not a step: there is no
earlier status to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from booking.scheduling.bookings import (
    ARRIVED,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    EXPIRED,
    HELD,
    NO_SHOW,
    RELEASED,
)


class HoldRule(StrEnum):
    """What a step needs of a held booking's expiry, when it starts from ``held``."""

    ANY = "any"
    LIVE = "live"  # the hold has not run out: hold_expires_at is after now
    LAPSED = "lapsed"  # the hold has run out: hold_expires_at is at or before now


@dataclass(frozen=True)
class Step:
    """One allowed change of an existing booking."""

    name: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (a move in time, an extension)
    event: str  # the audit action written
    message: str | None  # the outbox kind queued for the patient, if they are told
    frees: str | None  # the freed-time cause, when the booked time comes free
    refusal: tuple[str, str]  # (reason code, message) when the booking's state forbids it
    hold: HoldRule = HoldRule.ANY
    # The patient's calendar entry changes: the invitation's SEQUENCE rises.
    new_sequence: bool = True

    def moves(self) -> frozenset[tuple[str, str]]:
        """The (from, to) status pairs this step makes."""
        return frozenset((source, self.target or source) for source in self.sources)


_NOT_ACTIVE = ("not_active", "This booking is no longer active.")
_NOT_HELD = ("not_held", "This booking isn't waiting for a clearance any more.")

CONFIRM = Step(
    "confirm",
    # An expired hold whose time is still free is re-reserved by its clearance.
    frozenset({HELD, EXPIRED}),
    CONFIRMED,
    "booking.confirmed",
    "clearance_confirmed",
    None,
    _NOT_HELD,
    hold=HoldRule.LIVE,
)
RELEASE = Step(
    "release",
    frozenset({HELD}),
    RELEASED,
    "booking.released",
    "hold_released",
    "released",
    _NOT_HELD,
    hold=HoldRule.LIVE,
)
EXPIRE = Step(
    "expire",
    frozenset({HELD}),
    EXPIRED,
    "booking.hold_expired",
    "hold_expired",
    "expired",
    ("not_held", "This hold has not run out."),
    hold=HoldRule.LAPSED,
)
CANCEL = Step(
    "cancel",
    frozenset({HELD, CONFIRMED}),
    CANCELLED,
    "booking.cancelled",
    "cancelled",
    "cancelled",
    _NOT_ACTIVE,
)
RESCHEDULE = Step(
    "reschedule",
    frozenset({HELD, CONFIRMED}),
    None,
    "booking.rescheduled",
    "rescheduled",
    "moved",
    ("not_active", "This booking can no longer be changed."),
)
EXTEND_HOLD = Step(
    "extend_hold",
    frozenset({HELD}),
    None,
    "booking.hold_extended",
    None,
    None,
    ("not_held", "This booking isn't a live hold."),
    hold=HoldRule.LIVE,
    new_sequence=False,
)
# The day of the visit tells the patient nothing and leaves their calendar entry alone.
ARRIVE = Step(
    "arrive",
    frozenset({CONFIRMED}),
    ARRIVED,
    "booking.arrived",
    None,
    None,
    ("wrong_status", "Only a confirmed booking can be marked as arrived."),
    new_sequence=False,
)
COMPLETE = Step(
    "complete",
    frozenset({ARRIVED}),
    COMPLETED,
    "booking.completed",
    None,
    None,
    ("wrong_status", "Only a booking whose patient has arrived can be completed."),
    new_sequence=False,
)
MARK_NO_SHOW = Step(
    "no_show",
    frozenset({CONFIRMED}),
    NO_SHOW,
    "booking.no_show",
    None,
    None,
    ("wrong_status", "Only a confirmed booking can be marked as a no-show."),
    new_sequence=False,
)

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        CONFIRM,
        RELEASE,
        EXPIRE,
        CANCEL,
        RESCHEDULE,
        EXTEND_HOLD,
        ARRIVE,
        COMPLETE,
        MARK_NO_SHOW,
    )
}

# Every status change any step makes; nothing else may change a booking's status.
MOVES: frozenset[tuple[str, str]] = frozenset(
    pair for step in STEPS.values() if step.target is not None for pair in step.moves()
)


def allows_move(old: str, new: str) -> bool:
    """Say whether some step changes a booking's status from ``old`` to ``new``."""
    return (old, new) in MOVES


def refusal(
    step: Step, status: str, hold_expires_at: datetime | None, now: datetime
) -> tuple[str, str] | None:
    """Return why ``step`` may not start from this state at ``now``, or None when it may.

    ``status`` and ``hold_expires_at`` are the booking's as last read; the caller's
    compare-and-set makes sure they still hold when it writes.
    """
    if status not in step.sources:
        return step.refusal
    if status == HELD and step.hold is not HoldRule.ANY:
        live = hold_expires_at is not None and hold_expires_at > now
        if live != (step.hold is HoldRule.LIVE):
            return step.refusal
    return None
