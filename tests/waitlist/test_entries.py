"""Joining the waitlist (``services.waitlist.entries``): which wishes are refused and why.

The one date rule for every way of joining: from today (the clinic's own day) to the
horizon at most, the first day before the last; and a wish must name a bookable treatment,
a length it offers, days of the week and parts of the day that exist.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.extensions import db
from booking.services.errors import BookingError
from booking.services.waitlist import entries
from tests.support.builders import make_service
from tests.support.policy import shipped_policy
from tests.waitlist.helpers import NOW, THURSDAY, join

TODAY = NOW.date()


@pytest.mark.parametrize(
    ("first_day", "last_day", "field"),
    [
        (TODAY, TODAY, None),
        (TODAY, TODAY + timedelta(days=10), None),
        (TODAY - timedelta(days=1), TODAY, "first_day"),
        (TODAY + timedelta(days=3), TODAY + timedelta(days=2), "last_day"),
        (TODAY, TODAY + timedelta(days=11), "last_day"),
    ],
)
def test_a_wish_runs_from_today_to_the_horizon_first_day_first(first_day, last_day, field):
    problem = entries.range_problem(
        first_day, last_day, now=NOW, policy=shipped_policy(horizon_days=10)
    )
    if field is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem[0] == field
        assert problem[1].startswith("Please choose dates from today to 20 March 2027")


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"minutes": 45}, "unknown_duration", "minutes"),
        ({"first_day": date(2027, 3, 9)}, "bad_range", "first_day"),
        ({"weekdays": (7,)}, "bad_weekdays", "weekdays"),
        ({"day_parts": ("midnight",)}, "bad_day_parts", "day_parts"),
    ],
)
def test_a_wish_that_cannot_be_kept_is_refused_on_its_field(app, changes, reason, field):
    service = make_service(durations=((60, 5000),))
    db.session.commit()
    with pytest.raises(BookingError) as refusal:
        join(service.id, **changes)
    assert (refusal.value.reason, refusal.value.field) == (reason, field)


def test_an_inactive_treatment_cannot_be_waited_for(app):
    service = make_service(durations=((60, 5000),))
    service.active = False
    db.session.commit()
    with pytest.raises(BookingError) as refusal:
        join(service.id, first_day=THURSDAY, last_day=THURSDAY)
    assert (refusal.value.reason, refusal.value.field) == ("unknown_service", "service")
