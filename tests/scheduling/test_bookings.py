from datetime import UTC, datetime, timedelta

import pytest

from booking.scheduling import (
    BusyBooking,
    choose_room,
    free_rooms,
    is_blocking,
    trusted_busy_booking,
)

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
START = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)


def booking(status, *, room=1, hold_expires_at=None, start=START, minutes=75):
    return BusyBooking(
        therapist_id=1,
        room_id=room,
        start=start,
        busy_until=start + timedelta(minutes=minutes),
        status=status,
        hold_expires_at=hold_expires_at,
    )


@pytest.mark.parametrize("status", ["confirmed", "arrived"])
def test_confirmed_and_arrived_always_block(status):
    assert is_blocking(booking(status), NOW)
    # Even with a stale hold deadline left on the row.
    assert is_blocking(booking(status, hold_expires_at=NOW - timedelta(days=1)), NOW)


def test_live_hold_blocks():
    assert is_blocking(booking("held", hold_expires_at=NOW + timedelta(seconds=1)), NOW)


def test_expired_hold_never_blocks():
    assert not is_blocking(booking("held", hold_expires_at=NOW - timedelta(minutes=1)), NOW)


def test_hold_expiring_exactly_now_no_longer_blocks():
    assert not is_blocking(booking("held", hold_expires_at=NOW), NOW)


@pytest.mark.parametrize("status", ["cancelled", "expired", "released", "completed", "no_show"])
def test_finished_or_abandoned_bookings_never_block(status):
    assert not is_blocking(booking(status, hold_expires_at=NOW + timedelta(days=1)), NOW)


def test_busy_booking_rejects_unknown_status_naive_times_and_held_without_expiry():
    with pytest.raises(ValueError):
        booking("pending")
    with pytest.raises(ValueError):
        booking("held")
    with pytest.raises(ValueError):
        BusyBooking(1, 1, datetime(2030, 1, 8, 10), datetime(2030, 1, 8, 11), "confirmed")
    with pytest.raises(ValueError):
        booking("confirmed", minutes=0)


def test_free_rooms_counts_buffer_and_ignores_non_blocking():
    bookings = [
        booking("confirmed", room=1),  # 10:00-11:15 including buffer
        booking("cancelled", room=2),
        booking("held", room=3, hold_expires_at=NOW - timedelta(hours=1)),
        booking("held", room=4, hold_expires_at=NOW + timedelta(hours=1)),
    ]
    # 11:00 starts inside room 1's buffer, so room 1 is not free.
    start = START + timedelta(hours=1)
    assert free_rooms([4, 3, 2, 1], bookings, start, start + timedelta(minutes=30), NOW) == [3, 2]
    # From 11:15 room 1 is free again (half-open).
    start = START + timedelta(minutes=75)
    assert free_rooms([1, 2], bookings, start, start + timedelta(minutes=30), NOW) == [1, 2]


def test_choose_room_takes_first_free_in_given_order_or_none():
    bookings = [booking("confirmed", room=1), booking("arrived", room=2)]
    end = START + timedelta(minutes=60)
    assert choose_room([1, 2, 3, 4], bookings, START, end, NOW) == 3
    assert choose_room([4, 3], bookings, START, end, NOW) == 4
    assert choose_room([1, 2], bookings, START, end, NOW) is None


def test_a_trusted_booking_equals_the_checked_one_and_is_just_as_immutable():
    start = datetime(2030, 1, 8, 10, tzinfo=UTC)
    checked = BusyBooking(1, 2, start, start + timedelta(hours=1), "held", start)
    trusted = trusted_busy_booking(1, 2, start, start + timedelta(hours=1), "held", start)
    assert trusted == checked and type(trusted) is BusyBooking
    assert is_blocking(trusted, start - timedelta(minutes=1))
    with pytest.raises(AttributeError):
        trusted.start = start  # type: ignore[misc]
