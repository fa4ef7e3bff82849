"""What a patient may still change (``services.bookings.changes.change_rules``).

The cut-offs are those stored on the booking when it was made, not today's settings; a
held booking may always be cancelled (holds carry no fees); a booking that is over, or a
hold that lapsed, can be changed by reception only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from booking.models import BookingStatus
from booking.services.bookings import ChangeRules, change_rules

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)
SNAPSHOT = {"cancel_cutoff_hours": 24, "reschedule_cutoff_hours": 48}


@dataclass
class Booked:
    """The fields change_rules reads, without a database."""

    starts_at: datetime
    status: BookingStatus = BookingStatus.CONFIRMED
    blocking: bool = True
    policy_snapshot: dict | None = None

    def blocks_at(self, now: datetime) -> bool:
        return self.blocking


def rules(hours_ahead: float, **fields) -> ChangeRules:
    fields.setdefault("policy_snapshot", SNAPSHOT)
    return change_rules(Booked(NOW + timedelta(hours=hours_ahead), **fields), NOW)


@pytest.mark.parametrize(
    ("hours_ahead", "expected"),
    [
        (72, ChangeRules(True, True, None)),
        (48, ChangeRules(True, True, None)),
        (30, ChangeRules(True, False, "cutoff")),
        (12, ChangeRules(False, False, "cutoff")),
    ],
)
def test_the_cut_offs_stored_on_the_booking_decide(hours_ahead, expected):
    assert rules(hours_ahead) == expected


def test_a_held_booking_may_always_be_cancelled():
    assert rules(12, status=BookingStatus.HELD) == ChangeRules(True, False, "cutoff")


@pytest.mark.parametrize(
    ("hours_ahead", "fields"),
    [
        (-1, {}),
        (72, {"status": BookingStatus.CANCELLED}),
        (72, {"status": BookingStatus.COMPLETED}),
        (72, {"status": BookingStatus.HELD, "blocking": False}),
    ],
)
def test_a_finished_booking_or_a_lapsed_hold_cannot_be_changed(hours_ahead, fields):
    assert rules(hours_ahead, **fields) == ChangeRules(False, False, "finished")
