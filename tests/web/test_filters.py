"""Template helpers: how durations and amounts are put into words."""

from __future__ import annotations

import pytest

from booking.web.filters import validity_words


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (183, "six months"),
        (182, "six months"),
        (365, "twelve months"),
        (30, "one month"),
        (28, "four weeks"),
        (7, "one week"),
        (90, "three months"),
        (100, "100 days"),
        (1, "one day"),
        (1000, "1000 days"),
    ],
)
def test_a_clearance_validity_is_said_as_people_say_it(days, words):
    assert validity_words(days) == words
