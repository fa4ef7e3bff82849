"""The clearance deadline: a held booking gets the earlier of 48 hours after booking and 24
hours before its start, and is only offered when that leaves a weekday's opening hours to
reach a GP (the demo clinic's settings: 09:00-17:00 in London, at least 24 hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.services import clearance_window
from tests.support.policy import shipped_policy

LONDON = ZoneInfo("Europe/London")
MONDAY_10 = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)  # London is on GMT in early March
FRIDAY_18 = datetime(2027, 3, 12, 18, 0, tzinfo=UTC)


def test_the_deadline_is_the_earlier_of_two_days_after_and_a_day_before(app):
    far = MONDAY_10 + timedelta(days=10)
    assert clearance_window.deadline_for(MONDAY_10, far) == MONDAY_10 + timedelta(hours=48)
    soon = MONDAY_10 + timedelta(hours=60)
    assert clearance_window.deadline_for(MONDAY_10, soon) == soon - timedelta(hours=24)


def test_a_weekday_deadline_after_a_whole_working_day_is_enough(app):
    # Booked Monday 10:00: Tuesday's hours are whole by 17:00, past the 24 hours' floor.
    earliest = clearance_window.earliest_working_deadline(
        MONDAY_10, zone=LONDON, min_hours=24, hours="09:00-17:00"
    )
    assert earliest == datetime(2027, 3, 9, 17, 0, tzinfo=UTC)
    assert clearance_window.leaves_a_working_day(MONDAY_10, earliest)
    assert not clearance_window.leaves_a_working_day(MONDAY_10, earliest - timedelta(minutes=1))


def test_a_weekend_leaves_no_working_day_until_monday_closes(app):
    earliest = clearance_window.earliest_working_deadline(
        FRIDAY_18, zone=LONDON, min_hours=24, hours="09:00-17:00"
    )
    assert earliest == datetime(2027, 3, 15, 17, 0, tzinfo=UTC)


def test_no_hold_start_is_offered_when_even_the_longest_hold_misses_a_working_day(app):
    # Friday evening: 48 hours reach Sunday evening, before Monday's hours end.
    assert clearance_window.earliest_hold_start(FRIDAY_18) > FRIDAY_18 + timedelta(days=365)


def test_the_earliest_hold_start_leaves_the_day_before_it(app):
    start = clearance_window.earliest_hold_start(MONDAY_10)
    assert start == datetime(2027, 3, 9, 17, 0, tzinfo=UTC) + timedelta(hours=24)
    deadline = clearance_window.deadline_for(MONDAY_10, start)
    assert clearance_window.leaves_a_working_day(MONDAY_10, deadline)


def test_holds_open_again_once_the_longest_hold_reaches_mondays_hours(app):
    # Friday 18:00: a 48-hour hold ends before Monday 17:00 until Saturday 17:00.
    assert clearance_window.holds_open_from(FRIDAY_18) == datetime(2027, 3, 13, 17, 0, tzinfo=UTC)
    nearly = datetime(2027, 3, 13, 16, 52, 30, tzinfo=UTC)
    assert clearance_window.holds_open_from(nearly) == datetime(2027, 3, 13, 17, 0, tzinfo=UTC)
    # Once Friday's hours have begun they no longer count as a whole working day.
    friday_morning = datetime(2027, 3, 12, 9, 30, tzinfo=UTC)
    assert clearance_window.holds_open_from(friday_morning) == datetime(
        2027, 3, 13, 17, 0, tzinfo=UTC
    )
    assert clearance_window.holds_open_from(datetime(2027, 3, 12, 8, 45, tzinfo=UTC)) is None
    opened = datetime(2027, 3, 13, 17, 0, tzinfo=UTC)
    assert clearance_window.holds_open_from(opened) is None
    assert clearance_window.earliest_hold_start(opened) < opened + timedelta(days=7)


def test_on_a_weekday_a_hold_can_be_booked_at_once(app):
    assert clearance_window.holds_open_from(MONDAY_10) is None
    # Thursday evening: 48 hours reach Saturday, after Friday's whole hours.
    assert clearance_window.holds_open_from(datetime(2027, 3, 11, 20, 0, tzinfo=UTC)) is None


def test_on_the_weekend_the_clocks_go_forward_holds_open_at_16_london_time(app):
    # Sunday 28 March 2027 at 01:00 GMT London moves to BST: Monday's 17:00 is 16:00 UTC,
    # reached by 48 hours from Saturday 16:00 (still GMT, so 16:00 on the clinic's clock).
    friday = datetime(2027, 3, 26, 19, 0, tzinfo=UTC)
    opens = clearance_window.holds_open_from(friday)
    assert opens == datetime(2027, 3, 27, 16, 0, tzinfo=UTC)
    assert opens.astimezone(LONDON).hour == 16


def test_settings_that_never_let_a_hold_reach_a_working_day_say_never(app):
    short = shipped_policy(hold_max_hours_after_booking=12, hold_min_hours_to_clear=24)
    assert clearance_window.holds_open_from(MONDAY_10, policy=short) is clearance_window.NEVER
