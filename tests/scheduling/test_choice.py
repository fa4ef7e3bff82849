from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.scheduling import BusyBooking, bookings_per_therapist, choose_therapist

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def test_choose_therapist_prefers_fewest_bookings_that_day():
    assert choose_therapist([1, 2, 3], {1: 3, 2: 1, 3: 2}, {1: 0, 2: 5, 3: 1}) == 2


def test_choose_therapist_breaks_ties_by_position_then_id():
    assert choose_therapist([3, 1, 2], {}, {1: 2, 2: 1, 3: 1}) == 2
    assert choose_therapist([3, 2], {2: 1, 3: 1}, {2: 0, 3: 0}) == 2


def test_choose_therapist_ignores_candidate_order():
    counts, positions = {1: 1, 2: 1, 3: 0, 4: 0}, {1: 0, 2: 0, 3: 2, 4: 2}
    assert {choose_therapist(c, counts, positions) for c in ([1, 2, 3, 4], [4, 3, 2, 1])} == {3}


def test_choose_therapist_puts_unknown_positions_last_and_rejects_no_candidates():
    assert choose_therapist([9, 5], {}, {5: 100}) == 5
    with pytest.raises(ValueError):
        choose_therapist([], {}, {})


def test_bookings_per_therapist_counts_the_local_day_only():
    tz = ZoneInfo("America/New_York")  # local day 2030-01-08 = 05:00Z .. 05:00Z next day
    day = date(2030, 1, 8)

    def b(tid, hour_utc, status="confirmed", hold=None):
        start = datetime(2030, 1, 8, tzinfo=UTC) + timedelta(hours=hour_utc)
        return BusyBooking(tid, 1, start, start + timedelta(hours=1), status, hold)

    bookings = [
        b(1, 4),  # 23:00 local the day before
        b(1, 5),
        b(1, 28),  # 23:00 local, still the 8th
        b(2, 10, "completed"),
        b(2, 11, "cancelled"),
        b(3, 12, "held", NOW + timedelta(days=1)),
        b(3, 13, "held", NOW - timedelta(days=1)),
        b(4, 29),  # 00:00 local on the 9th
    ]
    assert bookings_per_therapist(bookings, day, tz=tz, now=NOW) == {1: 2, 2: 1, 3: 1}
