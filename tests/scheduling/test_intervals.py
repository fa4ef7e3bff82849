from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.scheduling import Interval, Timeline, clip, merge, overlaps, subtract

T0 = datetime(2030, 1, 7, tzinfo=UTC)


def iv(a: int, b: int) -> Interval:
    """Interval from minute a to minute b after T0."""
    return Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))


def test_interval_rejects_end_not_after_start():
    with pytest.raises(ValueError):
        iv(10, 10)
    with pytest.raises(ValueError):
        iv(10, 5)


def test_interval_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        Interval(datetime(2030, 1, 7, 9), datetime(2030, 1, 7, 10))


def test_interval_normalises_to_utc():
    plus2 = timezone(timedelta(hours=2))
    i = Interval(datetime(2030, 1, 7, 11, tzinfo=plus2), datetime(2030, 1, 7, 12, tzinfo=plus2))
    assert i.start.tzinfo is UTC
    assert i == Interval(datetime(2030, 1, 7, 9, tzinfo=UTC), datetime(2030, 1, 7, 10, tzinfo=UTC))


def test_touching_intervals_do_not_overlap():
    assert not overlaps(iv(0, 10), iv(10, 20))
    assert overlaps(iv(0, 11), iv(10, 20))
    assert overlaps(iv(0, 30), iv(10, 20))


def test_merge_joins_overlapping_and_touching_and_sorts():
    assert merge([iv(30, 40), iv(0, 10), iv(10, 15), iv(5, 12), iv(50, 60)]) == [
        iv(0, 15),
        iv(30, 40),
        iv(50, 60),
    ]


def test_merge_of_nothing_is_empty():
    assert merge([]) == []


def test_subtract_cuts_holes_and_ends():
    assert subtract(iv(0, 100), [iv(10, 20), iv(15, 30), iv(90, 120), iv(-5, 2)]) == [
        iv(2, 10),
        iv(30, 90),
    ]


def test_subtract_over_several_bases():
    assert subtract([iv(0, 10), iv(20, 30)], [iv(5, 25)]) == [iv(0, 5), iv(25, 30)]


def test_subtract_everything_leaves_nothing():
    assert subtract(iv(0, 10), [iv(0, 10)]) == []


def test_clip_keeps_only_the_window():
    assert clip([iv(0, 20), iv(30, 40), iv(50, 70), iv(80, 90)], iv(10, 60)) == [
        iv(10, 20),
        iv(30, 40),
        iv(50, 60),
    ]


def test_timeline_is_free_matches_half_open_overlap():
    line = Timeline([(iv(10, 20).start, iv(10, 20).end), (iv(15, 30).start, iv(15, 30).end)])
    assert len(line) == 1
    assert line.is_free(iv(0, 10).start, iv(0, 10).end)
    assert line.is_free(iv(30, 40).start, iv(30, 40).end)
    assert not line.is_free(iv(29, 40).start, iv(29, 40).end)
    assert not line.is_free(iv(0, 11).start, iv(0, 11).end)


spans = st.lists(
    st.tuples(st.integers(0, 500), st.integers(1, 60)).map(lambda p: iv(p[0], p[0] + p[1])),
    max_size=25,
)


def covered(intervals: list[Interval]) -> set[int]:
    """The set of whole minutes covered, as a brute-force model."""
    out: set[int] = set()
    for i in intervals:
        a = int((i.start - T0) / timedelta(minutes=1))
        b = int((i.end - T0) / timedelta(minutes=1))
        out.update(range(a, b))
    return out


def is_sorted_disjoint(intervals: list[Interval]) -> bool:
    return all(a.end < b.start for a, b in pairwise(intervals))


@settings(max_examples=100, deadline=None)
@given(spans)
def test_merge_matches_minute_model(xs):
    merged = merge(xs)
    assert is_sorted_disjoint(merged)
    assert covered(merged) == covered(xs)


@settings(max_examples=100, deadline=None)
@given(spans, spans)
def test_subtract_matches_minute_model(base, cuts):
    out = subtract(base, cuts)
    assert is_sorted_disjoint(out)
    assert covered(out) == covered(base) - covered(cuts)


@settings(max_examples=100, deadline=None)
@given(spans, st.integers(0, 400), st.integers(1, 200))
def test_clip_matches_minute_model(xs, a, length):
    window = iv(a, a + length)
    assert covered(clip(xs, window)) == covered(xs) & covered([window])


@settings(max_examples=100, deadline=None)
@given(spans, st.integers(0, 500), st.integers(1, 60))
def test_timeline_agrees_with_overlaps(xs, a, length):
    probe = iv(a, a + length)
    line = Timeline((x.start, x.end) for x in xs)
    assert line.is_free(probe.start, probe.end) == (not any(overlaps(probe, x) for x in xs))
