from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.scheduling import Interval, Policy
from booking.scheduling.intervals import overlaps

from .builders import H, booking, local_times, query, search, therapist, utc

# January in London is GMT, so local wall time == UTC and expectations read plainly.
TZ = ZoneInfo("Europe/London")
MON = date(2030, 1, 7)
TUE = date(2030, 1, 8)
NOW = utc(2030, 1, 6, 12)  # Sunday noon: min notice and horizon do not bite on Monday


def hhmm(slots):
    return [t[-5:] for t in local_times(slots, TZ)]


def quarter_hours(first: str, last: str) -> list[str]:
    h1, m1 = map(int, first.split(":"))
    h2, m2 = map(int, last.split(":"))
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(h1 * 60 + m1, h2 * 60 + m2 + 1, 15)]


def test_slots_fill_working_hours_on_the_grid():
    slots = search(query(MON), now=NOW, tz=TZ)
    assert hhmm(slots) == quarter_hours("09:00", "16:00")
    first = slots[0]
    assert first.start == utc(2030, 1, 7, 9)
    assert first.end == utc(2030, 1, 7, 10)
    assert first.busy_until == utc(2030, 1, 7, 10)
    assert first.therapist_ids == (1,)
    assert first.start.tzinfo is not None and first.start.utcoffset() == timedelta(0)


def test_grid_counts_from_the_start_of_the_working_range():
    t = therapist(ranges=[(0, 9 * H + 10, 11 * H)])
    slots = search(query(MON, duration_minutes=30), now=NOW, tz=TZ, therapists=[t])
    assert hhmm(slots) == ["09:10", "09:25", "09:40", "09:55", "10:10", "10:25"]


def test_policy_slot_minutes_sets_the_grid():
    slots = search(query(MON), now=NOW, tz=TZ, policy=Policy(slot_minutes=60))
    assert hhmm(slots) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]


def test_lunch_break_is_never_booked():
    t = therapist(ranges=[(0, 9 * H, 13 * H), (0, 14 * H, 18 * H)])
    slots = search(query(MON), now=NOW, tz=TZ, therapists=[t])
    assert hhmm(slots) == quarter_hours("09:00", "12:00") + quarter_hours("14:00", "17:00")


def test_touching_ranges_form_one_block():
    t = therapist(ranges=[(0, 9 * H, 13 * H), (0, 13 * H, 17 * H)])
    slots = search(query(MON), now=NOW, tz=TZ, therapists=[t])
    assert hhmm(slots) == quarter_hours("09:00", "16:00")


def test_buffer_may_run_past_closing_but_the_appointment_may_not():
    slots = search(query(MON, buffer_minutes=15), now=NOW, tz=TZ)
    assert hhmm(slots)[-1] == "16:00"
    assert slots[-1].busy_until == utc(2030, 1, 7, 17, 15)


def test_buffer_must_not_run_into_the_next_booking():
    existing = booking(1, 1, utc(2030, 1, 7, 11), 75)  # busy 11:00-12:15
    slots = search(query(MON, buffer_minutes=15), now=NOW, tz=TZ, bookings=[existing])
    times = hhmm(slots)
    assert "09:45" in times  # 09:45-10:45, buffer to 11:00: touches, no overlap
    assert "10:00" not in times  # buffer would run to 11:15
    assert not any("10:00" <= x < "12:15" for x in times)
    assert "12:15" in times  # existing booking's own buffer respected


def test_expired_hold_never_blocks():
    hold = booking(1, 1, utc(2030, 1, 7, 10), 60, "held", hold=NOW - timedelta(minutes=1))
    assert "10:00" in hhmm(search(query(MON), now=NOW, tz=TZ, bookings=[hold]))


def test_live_hold_blocks_its_therapist_and_room():
    hold = booking(1, 1, utc(2030, 1, 7, 10), 60, "held", hold=NOW + timedelta(minutes=1))
    assert "10:00" not in hhmm(search(query(MON), now=NOW, tz=TZ, bookings=[hold]))


@pytest.mark.parametrize("status", ["cancelled", "expired", "released", "completed", "no_show"])
def test_non_blocking_statuses_leave_the_slot_open(status):
    gone = booking(1, 1, utc(2030, 1, 7, 10), 60, status)
    assert "10:00" in hhmm(search(query(MON), now=NOW, tz=TZ, bookings=[gone]))


def test_another_therapists_booking_takes_the_only_room():
    other = booking(2, 1, utc(2030, 1, 7, 10), 60)
    ts = [therapist(1), therapist(2, position=1)]
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts, bookings=[other])
    assert "10:00" not in hhmm(slots)
    # With a second room, therapist 1 can still take 10:00, therapist 2 cannot.
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts, bookings=[other], rooms=[1, 2])
    assert {s.start: s.therapist_ids for s in slots}[utc(2030, 1, 7, 10)] == (1,)


def test_a_gap_between_room_bookings_that_exactly_fits_is_offered():
    # Therapists 2 and 3 keep the only room 09:00-10:00 and 11:00-12:00; 10:00-11:00 fits.
    ts = [therapist(1), therapist(2, position=1), therapist(3, position=2)]
    taken = [booking(2, 1, utc(2030, 1, 7, 9), 60), booking(3, 1, utc(2030, 1, 7, 11), 60)]
    times = hhmm(search(query(MON), now=NOW, tz=TZ, therapists=ts, bookings=taken))
    assert "10:00" in times
    assert not [t for t in times if "08:15" <= t < "10:00" or "10:00" < t < "12:00"]


def test_a_start_needs_one_room_free_for_its_whole_span():
    # Room 1 is free until 10:30, room 2 from 10:30: no single room holds 10:00-11:00.
    ts = [therapist(1), therapist(2, position=1), therapist(3, position=2)]
    taken = [booking(2, 1, utc(2030, 1, 7, 10, 30), 60), booking(3, 2, utc(2030, 1, 7, 9), 90)]
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts, bookings=taken, rooms=[1, 2])
    times = hhmm(slots)
    assert "10:00" not in times and "09:30" in times and "10:30" in times


def test_room_outside_room_ids_does_not_count_but_still_blocks_its_therapist():
    elsewhere = booking(1, 99, utc(2030, 1, 7, 10), 60)
    slots = search(query(MON), now=NOW, tz=TZ, bookings=[elsewhere], rooms=[1])
    assert "10:00" not in hhmm(slots)


def test_no_rooms_means_no_slots():
    assert search(query(MON), now=NOW, tz=TZ, rooms=[]) == []


def test_time_off_blocks_the_span_including_buffer():
    off = Interval(utc(2030, 1, 7, 12), utc(2030, 1, 7, 13))
    t = therapist(time_off=[off])
    slots = search(query(MON, buffer_minutes=30), now=NOW, tz=TZ, therapists=[t])
    times = hhmm(slots)
    assert "10:30" in times and "10:45" not in times  # 10:45-11:45 + 30 min hits 12:00
    assert not any("10:45" <= x < "13:00" for x in times)
    assert "13:00" in times


def test_clinic_closure_blocks_every_therapist():
    closure = Interval(utc(2030, 1, 7, 0), utc(2030, 1, 7, 12))
    ts = [therapist(1), therapist(2)]
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts, closures=[closure])
    assert hhmm(slots) == quarter_hours("12:00", "16:00")


def test_min_notice_is_measured_from_now():
    now = utc(2030, 1, 7, 8, 5)
    slots = search(query(MON), now=now, tz=TZ)
    assert hhmm(slots)[0] == "10:15"  # 10:05 is the earliest, first grid point after it
    exactly = search(query(MON), now=utc(2030, 1, 7, 8), tz=TZ)
    assert hhmm(exactly)[0] == "10:00"  # start == now + notice is allowed


def test_horizon_caps_how_far_ahead_starts_go():
    policy = Policy(horizon=timedelta(hours=24))
    slots = search(query(MON, TUE), now=utc(2030, 1, 6, 12), tz=TZ, policy=policy)
    assert local_times(slots, TZ)[-1] == "2030-01-07 12:00"  # now + horizon, inclusive


def test_earliest_start_is_an_extra_lower_bound():
    q = query(MON, earliest_start=utc(2030, 1, 7, 14, 30))
    assert hhmm(search(q, now=NOW, tz=TZ))[0] == "14:30"


def test_therapist_must_offer_the_service():
    ts = [therapist(1, services=[2]), therapist(2, services=[1, 2])]
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts)
    assert {s.therapist_ids for s in slots} == {(2,)}


def test_therapist_filter_limits_the_candidates():
    ts = [therapist(1), therapist(2)]
    slots = search(query(MON, therapist_ids=frozenset({2})), now=NOW, tz=TZ, therapists=ts)
    assert {s.therapist_ids for s in slots} == {(2,)}


def test_any_therapist_lists_everyone_by_position_then_id():
    ts = [therapist(3, position=1), therapist(5, position=0), therapist(2, position=1)]
    slots = search(query(MON), now=NOW, tz=TZ, therapists=ts)
    assert {s.therapist_ids for s in slots} == {(5, 2, 3)}


def test_days_are_inclusive_and_only_the_weekdays_worked():
    t = therapist(ranges=[(0, 9 * H, 10 * H), (1, 9 * H, 10 * H), (2, 9 * H, 10 * H)])
    slots = search(query(MON, TUE), now=NOW, tz=TZ, therapists=[t])
    assert local_times(slots, TZ) == ["2030-01-07 09:00", "2030-01-08 09:00"]


def test_hours_crossing_midnight_continue_into_the_next_day():
    t = therapist(ranges=[(0, 22 * H, 26 * H)])  # Monday 22:00 to Tuesday 02:00
    both = search(query(MON, TUE), now=NOW, tz=TZ, therapists=[t])
    assert local_times(both, TZ)[0] == "2030-01-07 22:00"
    assert local_times(both, TZ)[-1] == "2030-01-08 01:00"
    assert len(both) == 13
    # Each slot belongs to the local date it starts on.
    monday = search(query(MON), now=NOW, tz=TZ, therapists=[t])
    tuesday = search(query(TUE), now=NOW, tz=TZ, therapists=[t])
    assert hhmm(monday) == quarter_hours("22:00", "23:45")
    assert hhmm(tuesday) == quarter_hours("00:00", "01:00")
    assert monday + tuesday == both


def test_sunday_night_range_wraps_into_monday():
    t = therapist(ranges=[(6, 23 * H, 25 * H)])
    assert hhmm(search(query(MON), now=NOW, tz=TZ, therapists=[t])) == ["00:00"]


def test_same_start_from_overlapping_ranges_is_listed_once():
    t = therapist(ranges=[(0, 9 * H, 12 * H), (0, 10 * H, 13 * H)])
    slots = search(query(MON), now=NOW, tz=TZ, therapists=[t])
    assert hhmm(slots) == quarter_hours("09:00", "12:00")
    assert all(s.therapist_ids == (1,) for s in slots)


def test_offered_span_never_overlaps_existing_blocking_booking():
    existing = [booking(1, 1, utc(2030, 1, 7, h), 50) for h in (9, 11, 15)]
    slots = search(query(MON, buffer_minutes=10), now=NOW, tz=TZ, bookings=existing)
    for s in slots:
        span = Interval(s.start, s.busy_until)
        assert not any(overlaps(span, Interval(b.start, b.busy_until)) for b in existing)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        search(query(MON), now=NOW, tz=TZ, therapists=[therapist(1), therapist(1)])
    with pytest.raises(ValueError):
        search(query(MON), now=NOW.replace(tzinfo=None), tz=TZ)
    with pytest.raises(ValueError):
        query(TUE, MON)
    with pytest.raises(ValueError):
        therapist(ranges=[(7, 0, 60)])
    with pytest.raises(ValueError):
        therapist(ranges=[(0, 600, 600)])
