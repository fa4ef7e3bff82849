from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.scheduling import Policy, boundary_to_utc, local_day, wall_to_utc

from .builders import H, local_times, query, search, therapist, utc

NOW = utc(2027, 1, 1, 12)  # well before every change day; horizon widened below
SUNDAY_HOURS = [(6, 0, 4 * H), (6, 9 * H, 17 * H)]
POLICY = Policy(horizon=timedelta(days=400))  # reach the 2027 change days from NOW

# (zone, change day, kind, first and last local hour of the skipped/repeated hour)
CHANGE_DAYS = [
    ("Europe/London", date(2027, 3, 28), "gap", "01"),
    ("Europe/London", date(2027, 10, 31), "overlap", "01"),
    ("America/New_York", date(2027, 3, 14), "gap", "02"),
    ("America/New_York", date(2027, 11, 7), "overlap", "01"),
    # Half-hour zone whose DST also shifts: +10:30 in summer, +09:30 in winter.
    ("Australia/Adelaide", date(2027, 10, 3), "gap", "02"),
    ("Australia/Adelaide", date(2027, 4, 4), "overlap", "02"),
]
IDS = [f"{z}-{d}" for z, d, _, _ in CHANGE_DAYS]


def sunday_slots(tz: ZoneInfo, day: date):
    return search(query(day), now=NOW, tz=tz, therapists=[therapist(ranges=SUNDAY_HOURS)],
                  policy=POLICY)  # fmt: skip


def sunday_times(zone: str, day: date) -> list[str]:
    tz = ZoneInfo(zone)
    slots = sunday_slots(tz, day)
    times = local_times(slots, tz)
    assert all(t.startswith(day.isoformat()) for t in times)
    # Every start must be an instant whose local wall time is exactly on the grid.
    for s in slots:
        local = s.start.astimezone(tz)
        assert local.minute % 15 == 0 and local.second == 0
    return [t[-5:] for t in times]


def quarter_hours(first: str, last: str) -> list[str]:
    h1, m1 = map(int, first.split(":"))
    h2, m2 = map(int, last.split(":"))
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(h1 * 60 + m1, h2 * 60 + m2 + 1, 15)]


@pytest.mark.parametrize(("zone", "day", "kind", "hour"), CHANGE_DAYS, ids=IDS)
def test_change_day_is_really_a_change_day(zone, day, kind, hour):
    tz = ZoneInfo(zone)
    span = local_day(day, tz)
    assert span.duration == timedelta(hours=23 if kind == "gap" else 25)


@pytest.mark.parametrize(("zone", "day", "kind", "hour"), CHANGE_DAYS, ids=IDS)
def test_daytime_slots_keep_their_local_times_on_dst_change_day(zone, day, kind, hour):
    daytime = [t for t in sunday_times(zone, day) if t >= "09:00"]
    assert daytime == quarter_hours("09:00", "16:00")
    for other in (day - timedelta(days=7), day + timedelta(days=7)):
        assert [t for t in sunday_times(zone, other) if t >= "09:00"] == daytime


@pytest.mark.parametrize(("zone", "day", "kind", "hour"), CHANGE_DAYS, ids=IDS)
def test_no_start_in_the_gap_and_no_local_time_twice(zone, day, kind, hour):
    times = sunday_times(zone, day)
    assert len(times) == len(set(times))
    night = [t for t in times if t < "09:00"]
    if kind == "gap":
        assert not [t for t in night if t.startswith(hour + ":")]
    else:
        # The repeated hour is offered once (its first occurrence), like any other hour.
        assert [t for t in night if t.startswith(hour + ":")] == [
            f"{hour}:{m}" for m in ["00", "15", "30", "45"]
        ]


def test_london_spring_forward_night_skips_the_missing_hour():
    # 00:00-04:00 local on 28 Mar 2027 is only 3 real hours: 01:00-02:00 does not exist.
    assert [t for t in sunday_times("Europe/London", date(2027, 3, 28)) if t < "09:00"] == [
        "00:00", "00:15", "00:30", "00:45", "02:00", "02:15", "02:30", "02:45", "03:00",
    ]  # fmt: skip


def test_london_fall_back_takes_the_first_occurrence_of_the_repeated_hour():
    tz = ZoneInfo("Europe/London")
    day = date(2027, 10, 31)
    assert [t for t in sunday_times("Europe/London", day) if t < "09:00"] == quarter_hours(
        "00:00", "03:00"
    )
    slots = sunday_slots(tz, day)
    by_local = {s.start.astimezone(tz).strftime("%H:%M"): s for s in slots}
    assert by_local["01:30"].start == utc(2027, 10, 31, 0, 30)  # BST, not the GMT 01:30
    # A 60-minute treatment from 01:45 BST ends at 01:45 GMT, real time.
    assert by_local["01:45"].end == utc(2027, 10, 31, 1, 45)


def test_new_york_spring_forward_night():
    assert [t for t in sunday_times("America/New_York", date(2027, 3, 14)) if t < "09:00"] == [
        "00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45", "03:00",
    ]  # fmt: skip


def test_range_ending_inside_the_gap_ends_at_the_jump():
    tz = ZoneInfo("Europe/London")
    t = therapist(ranges=[(6, 0, 90)])  # 00:00-01:30, but 01:00 jumps to 02:00
    slots = search(query(date(2027, 3, 28), duration_minutes=30), now=NOW, tz=tz,
                   therapists=[t], policy=POLICY)  # fmt: skip
    assert [s.start for s in slots] == [utc(2027, 3, 28, 0, m) for m in (0, 15, 30)]


def test_range_starting_inside_the_gap_starts_at_the_first_real_grid_time():
    tz = ZoneInfo("Europe/London")
    t = therapist(ranges=[(6, 90, 180)])  # 01:30-03:00; 01:30 and 01:45 do not exist
    slots = search(query(date(2027, 3, 28), duration_minutes=30), now=NOW, tz=tz,
                   therapists=[t], policy=POLICY)  # fmt: skip
    assert local_times(slots, tz) == [f"2027-03-28 02:{m}" for m in ("00", "15", "30")]


def test_half_hour_zone_grid_is_local():
    tz = ZoneInfo("Asia/Kolkata")  # +05:30, no DST
    monday = date(2030, 1, 7)
    slots = search(query(monday), now=utc(2030, 1, 6), tz=tz, therapists=[therapist()])
    assert [t[-5:] for t in local_times(slots, tz)] == quarter_hours("09:00", "16:00")
    assert slots[0].start == utc(2030, 1, 7, 3, 30)  # 09:00 IST, not 09:00 UTC


def test_wall_to_utc_spots_gap_and_picks_first_of_overlap():
    london = ZoneInfo("Europe/London")
    assert wall_to_utc(datetime(2027, 3, 28, 1, 30), london) is None
    assert wall_to_utc(datetime(2027, 10, 31, 1, 30), london) == utc(2027, 10, 31, 0, 30)
    assert wall_to_utc(datetime(2027, 6, 1, 9), london) == utc(2027, 6, 1, 8)
    # Boundary of something inside the gap is the jump itself.
    assert boundary_to_utc(datetime(2027, 3, 28, 1, 30), london) == utc(2027, 3, 28, 1)
    adelaide = ZoneInfo("Australia/Adelaide")
    assert boundary_to_utc(datetime(2027, 10, 3, 2, 45), adelaide) == datetime(
        2027, 10, 3, 2, tzinfo=adelaide
    ).astimezone(UTC)
    with pytest.raises(ValueError):
        wall_to_utc(utc(2027, 6, 1), london)
