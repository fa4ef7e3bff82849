from datetime import UTC, datetime, timedelta

import pytest

from booking.scheduling import earliest_hold_start, hold_expiry

BOOKED = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def test_hold_expiry_is_48_hours_after_booking_for_a_distant_start():
    start = BOOKED + timedelta(days=10)
    assert hold_expiry(BOOKED, start) == BOOKED + timedelta(hours=48)


def test_hold_expiry_is_24_hours_before_a_near_start():
    start = BOOKED + timedelta(hours=40)
    assert hold_expiry(BOOKED, start) == start - timedelta(hours=24)


def test_hold_expiry_takes_custom_limits():
    start = BOOKED + timedelta(days=10)
    assert hold_expiry(
        BOOKED, start, max_after_booking=timedelta(hours=1), before_start=timedelta(hours=2)
    ) == BOOKED + timedelta(hours=1)


def test_earliest_hold_start_leaves_12_hours_to_clear():
    assert earliest_hold_start(BOOKED) == BOOKED + timedelta(hours=36)
    # A start at that bound gets a hold that still lasts 12 hours.
    start = earliest_hold_start(BOOKED)
    assert hold_expiry(BOOKED, start) - BOOKED == timedelta(hours=12)


def test_hold_helpers_reject_naive_datetimes():
    with pytest.raises(ValueError):
        earliest_hold_start(datetime(2030, 1, 7, 9))
    with pytest.raises(ValueError):
        hold_expiry(datetime(2030, 1, 7, 9), BOOKED)
