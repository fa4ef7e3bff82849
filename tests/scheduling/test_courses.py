"""Planning a course: same local weekday and time each week, DST-correct, nearest alternatives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.scheduling import Slot
from booking.scheduling.courses import plan_course, session_week, wanted_starts, week_bounds

from .builders import H, booking, query, search, therapist

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def slot(start: datetime, *therapists: int, minutes: int = 60) -> Slot:
    end = start + timedelta(minutes=minutes)
    return Slot(start=start, end=end, busy_until=end, therapist_ids=therapists or (1,))


def local(instant: datetime, tz=LONDON) -> str:
    return instant.astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


def test_a_weekly_course_keeps_ten_oclock_across_the_october_change():
    # Thursday 15 Oct 2026, 10:00 BST = 09:00 UTC; the clocks go back on Sunday 25 Oct.
    first = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
    starts = wanted_starts(first, every_weeks=1, sessions=4, tz=LONDON)
    assert [local(s) for s in starts] == [
        "Thu 2026-10-15 10:00",
        "Thu 2026-10-22 10:00",
        "Thu 2026-10-29 10:00",
        "Thu 2026-11-05 10:00",
    ]
    # After the change 10:00 is GMT: an hour later in UTC, not a fixed 7 x 24 h.
    assert [s.hour for s in starts] == [9, 9, 10, 10]


def test_a_fortnightly_course_keeps_its_wall_time_across_the_march_change():
    first = datetime(2027, 3, 16, 14, 30, tzinfo=UTC)  # Tuesday 14:30 GMT
    starts = wanted_starts(first, every_weeks=2, sessions=3, tz=LONDON)
    assert [local(s) for s in starts] == [
        "Tue 2027-03-16 14:30",
        "Tue 2027-03-30 14:30",
        "Tue 2027-04-13 14:30",
    ]
    assert starts[1] - starts[0] == timedelta(weeks=2, hours=-1)


def test_another_zone_changes_on_its_own_dates():
    first = datetime(2026, 10, 29, 14, 0, tzinfo=UTC)  # Thursday 10:00 EDT
    starts = wanted_starts(first, every_weeks=1, sessions=2, tz=NEW_YORK)
    assert [local(s, NEW_YORK) for s in starts] == ["Thu 2026-10-29 10:00", "Thu 2026-11-05 10:00"]


@pytest.mark.parametrize("every_weeks", [0, 5])
def test_a_cadence_outside_one_to_four_weeks_is_refused(every_weeks):
    with pytest.raises(ValueError):
        wanted_starts(
            datetime(2027, 3, 1, 10, tzinfo=UTC), every_weeks=every_weeks, sessions=2, tz=LONDON
        )


def test_a_session_week_is_seven_local_days_centred_on_the_wanted_day():
    wanted = datetime(2026, 10, 29, 10, 0, tzinfo=UTC)
    assert session_week(wanted, LONDON) == (date(2026, 10, 26), date(2026, 11, 1))
    start, end = week_bounds(datetime(2026, 10, 22, 9, 0, tzinfo=UTC), LONDON)
    # Monday 19 Oct 00:00 BST to Monday 26 Oct 00:00 GMT: the week holds the 25 h Sunday.
    assert start == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def test_every_free_week_books_the_wanted_start_with_the_named_therapist():
    wanted = wanted_starts(
        datetime(2027, 3, 4, 10, tzinfo=UTC), every_weeks=1, sessions=3, tz=LONDON
    )
    free = [[slot(w, 1, 2), slot(w + timedelta(hours=1), 1)] for w in wanted]
    plan = plan_course(wanted, free, therapist_id=2)
    assert plan.all_free and plan.bookable
    assert [(s.number, s.free, s.slot.start, s.therapist_id) for s in plan.sessions] == [
        (1, True, wanted[0], 2),
        (2, True, wanted[1], 2),
        (3, True, wanted[2], 2),
    ]


def test_a_taken_week_offers_the_same_therapist_first_then_anyone_nearest_first():
    wanted = wanted_starts(
        datetime(2027, 3, 4, 10, tzinfo=UTC), every_weeks=1, sessions=2, tz=LONDON
    )
    second = wanted[1]
    free = [
        [slot(wanted[0], 1)],
        [
            slot(second, 2),  # the wanted time, but only with someone else
            slot(second + timedelta(minutes=30), 2),
            slot(second + timedelta(days=1), 1),
            slot(second - timedelta(hours=3), 1),
        ],
    ]
    plan = plan_course(wanted, free, therapist_id=1)
    week = plan.sessions[1]
    assert not week.free and week.moved
    assert week.slot.start == second - timedelta(hours=3)  # nearest with therapist 1
    assert week.therapist_id == 1
    assert [a.start for a in week.alternatives] == [
        second - timedelta(hours=3),
        second + timedelta(days=1),
        second,  # then anyone, nearest first
        second + timedelta(minutes=30),
    ]
    assert not plan.all_free and plan.bookable


def test_an_alternative_with_someone_else_is_booked_with_them():
    wanted = [datetime(2027, 3, 4, 10, tzinfo=UTC)]
    plan = plan_course(wanted, [[slot(wanted[0] + timedelta(hours=2), 3)]], therapist_id=1)
    assert plan.sessions[0].therapist_id == 3


def test_a_week_with_nothing_free_has_no_slot_and_the_plan_is_not_bookable():
    wanted = wanted_starts(
        datetime(2027, 3, 4, 10, tzinfo=UTC), every_weeks=1, sessions=2, tz=LONDON
    )
    plan = plan_course(wanted, [[slot(wanted[0], 1)], []], therapist_id=1)
    assert plan.sessions[1].slot is None and plan.sessions[1].alternatives == ()
    assert not plan.bookable


def test_anyone_means_the_therapist_free_at_the_most_wanted_starts():
    wanted = wanted_starts(
        datetime(2027, 3, 4, 10, tzinfo=UTC), every_weeks=1, sessions=3, tz=LONDON
    )
    free = [[slot(wanted[0], 1, 2)], [slot(wanted[1], 2)], [slot(wanted[2], 1, 2)]]
    plan = plan_course(wanted, free, therapist_id=None)
    assert plan.therapist_id == 2
    assert [s.therapist_id for s in plan.sessions] == [2, 2, 2]
    assert plan.all_free


def test_one_list_of_free_slots_per_wanted_start():
    with pytest.raises(ValueError):
        plan_course([datetime(2027, 3, 4, 10, tzinfo=UTC)], [], therapist_id=1)


def test_the_slot_engine_and_the_planner_agree_across_the_october_change():
    """The real slot search per week: 10:00 local is offered and planned in both offsets."""
    now = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    first = datetime(2026, 10, 22, 9, 0, tzinfo=UTC)  # Thursday 10:00 BST
    wanted = wanted_starts(first, every_weeks=1, sessions=2, tz=LONDON)
    # Thursday 29 Oct 10:00 GMT is taken by someone else: the nearest is 11:00 or 09:00.
    taken = booking(1, 1, wanted[1], 60)
    hours = [therapist(1, ranges=[(3, 9 * H, 17 * H)])]  # Thursdays 09:00-17:00
    free = [
        search(
            query(*session_week(w, LONDON)), now=now, tz=LONDON, therapists=hours, bookings=[taken]
        )
        for w in wanted
    ]
    plan = plan_course(wanted, free, therapist_id=1)
    assert plan.sessions[0].free
    second = plan.sessions[1]
    assert not second.free
    assert local(second.slot.start) in ("Thu 2026-10-29 09:00", "Thu 2026-10-29 11:00")
    assert second.slot.start.astimezone(LONDON).utcoffset() == timedelta(0)
