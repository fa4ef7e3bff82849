"""The time picker: a strip of days with counts, one day's times by part of the day, jumps."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from booking import clock
from booking.extensions import db
from booking.models import Closure
from tests.support.database import DEFAULT_NOW
from tests.support.flows import START_RE, choose, offered_starts

CHIP_RE = re.compile(
    r'class="day-chip[^"]*"[^>]*aria-label="([^"]+)"'
    r'|day-chip-empty"><span class="visually-hidden">([^<]+)<'
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def page(client, path="/book/time") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_week_is_a_strip_of_days_with_their_counts(client, demo):
    choose(client)
    body = page(client)
    chips = [html.unescape(a or b) for a, b in CHIP_RE.findall(body)]
    assert len(chips) == 7
    # Wednesday 10 March 2027, 09:00 UTC: today still has times after the notice period.
    assert re.fullmatch(r"Wednesday 10 March, \d+ free times", chips[0])
    counted = sum(int(re.search(r"(\d+) free", c).group(1)) for c in chips if "no free" not in c)
    assert counted == len(offered_starts(client))
    # Only the chosen day's times are on the page, grouped by part of the day.
    assert len(START_RE.findall(body)) < counted
    assert '<legend class="picker-period">Morning</legend>' in body or "Afternoon" in body


def test_a_day_of_the_strip_shows_that_days_times(client, demo):
    choose(client)
    body = page(client, "/book/time?from=2027-03-11&day=2027-03-12")
    assert "Friday 12 March" in body
    for start in START_RE.findall(body):
        assert datetime.fromisoformat(start).date() == date(2027, 3, 12)
    assert 'aria-current="date"' in body


def test_times_say_who_when_any_therapist_is_chosen(client, demo):
    choose(client)  # any therapist
    body = page(client)
    assert 'class="time-who"' in body
    assert re.search(r", with (Amira|Tom|Grace)", body)
    choose(client, therapist="amira-hassan")
    assert 'class="time-who"' not in page(client)


def test_an_empty_week_is_a_friendly_page_naming_the_next_free_day(client, demo):
    db.session.add(
        Closure(
            starts_at=datetime(2027, 3, 15, tzinfo=UTC),
            ends_at=datetime(2027, 3, 23, tzinfo=UTC),
            reason="Refurbishment",
        )
    )
    db.session.commit()
    choose(client)
    body = page(client, "/book/time?from=2027-03-15")
    assert "No free times from 15 March to 21 March" in body
    assert "The next free day is" in body
    assert "Tuesday 23 March" in body
    assert 'href="/book/time?from=2027-03-23"' in body
    assert "020 7946 0321" in body  # the clinic's phone, which used to be a 500


def test_past_the_horizon_says_there_is_nothing_left_and_gives_the_phone(client, demo):
    choose(client)
    last = (DEFAULT_NOW + timedelta(days=60)).date()
    body = page(client, f"/book/time?from={last + timedelta(days=30)}")
    assert "020 7946 0321" in body


def test_a_patient_can_jump_to_any_week_inside_the_horizon(client, demo):
    choose(client)
    body = page(client)
    weeks = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', body)
    assert weeks[0] == "2027-03-10"
    assert all(date.fromisoformat(w).weekday() == 0 for w in weeks[1:])
    assert date.fromisoformat(weeks[-1]) <= (DEFAULT_NOW + timedelta(days=60)).date()
    jumped = page(client, f"/book/time?from={weeks[4]}")
    assert f'<option value="{weeks[4]}" selected>' in jumped
