"""What the booking verbs share (``services.bookings.common``), from the policy value.

The cut-offs a booking keeps for life are the policy's at the time of booking, and a hold
lapses at whichever comes first: the policy's hours after booking, or its hours before the
start. Neither reads the clock or the application.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking.services.bookings import hold_expiry_for, policy_snapshot
from tests.support.policy import shipped_policy

BOOKED_AT = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def test_a_booking_keeps_the_cut_offs_of_the_policy_it_was_made_under():
    policy = shipped_policy(cancel_cutoff_hours=12, reschedule_cutoff_hours=36)
    assert policy_snapshot(policy) == {"cancel_cutoff_hours": 12, "reschedule_cutoff_hours": 36}


def test_a_hold_lapses_after_booking_or_before_the_start_whichever_is_first():
    policy = shipped_policy(hold_max_hours_after_booking=48, hold_hours_before_start=24)
    far = BOOKED_AT + timedelta(days=5)
    soon = BOOKED_AT + timedelta(hours=49)
    assert hold_expiry_for(BOOKED_AT, far, policy=policy) == BOOKED_AT + timedelta(hours=48)
    assert hold_expiry_for(BOOKED_AT, soon, policy=policy) == soon - timedelta(hours=24)
