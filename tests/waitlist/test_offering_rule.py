"""The offering rule: longest waiting first among those who fit, nobody offered twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.waitlist import FreeTime, Wish, assign, fits, offer_expiry

ZONE = ZoneInfo("Europe/London")
DAY = date(2026, 12, 7)  # a Monday
BASE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _time(slot: int, service: int = 1, therapists=(1,)) -> FreeTime:
    start = BASE + timedelta(minutes=30 * slot)
    return FreeTime(service, 60, start, start + timedelta(minutes=75), tuple(therapists))


def _wish(entry_id: int, **kw) -> Wish:
    values = dict(
        entry_id=entry_id,
        joined_at=BASE - timedelta(days=10) + timedelta(minutes=kw.pop("joined", entry_id)),
        service_id=1,
        minutes=60,
        first_day=DAY,
        last_day=DAY + timedelta(days=6),
    )
    values.update(kw)
    return Wish(**values)


def test_the_longest_waiting_fitting_entry_gets_the_time():
    late, early = _wish(1, joined=50), _wish(2, joined=5)
    pairs = assign([late, early], [_time(0)], ZONE)
    assert [(w.entry_id, t.start) for w, t in pairs] == [(2, BASE)]


def test_wishes_that_do_not_fit_are_passed_over_for_those_that_do():
    mornings_only = _wish(1, joined=1, day_parts=frozenset({"morning"}))
    anyone = _wish(2, joined=2)
    afternoon = _time(10)  # 14:00 UTC = 14:00 London in December
    pairs = assign([mornings_only, anyone], [afternoon], ZONE)
    assert [w.entry_id for w, _ in pairs] == [2]


def test_an_entry_with_an_open_offer_gets_nothing_more():
    busy = _wish(1, joined=1, has_open_offer=True)
    pairs = assign([busy, _wish(2)], [_time(0), _time(4)], ZONE)
    assert [w.entry_id for w, _ in pairs] == [2]


def test_a_time_once_refused_is_not_offered_again_to_that_entry():
    wish = _wish(1, refused_times=frozenset({(BASE, BASE + timedelta(minutes=60))}))
    assert not fits(wish, _time(0), ZONE)
    # Nor a start overlapping it (the same freed gap): that goes to the next entry.
    assert not fits(wish, _time(1), ZONE)  # 30 minutes later
    assert fits(wish, _time(4), ZONE)  # two hours later: another time
    other = _wish(2)
    pairs = assign([wish, other], [_time(1)], ZONE)
    assert [w.entry_id for w, _ in pairs] == [2]


def test_held_screen_entries_only_get_times_after_their_clearance_bound():
    wish = _wish(1, earliest_start=BASE + timedelta(hours=3))
    assert not fits(wish, _time(0), ZONE)
    assert fits(wish, _time(6), ZONE)


def test_weekday_therapist_and_range_wishes():
    assert not fits(_wish(1, weekdays=frozenset({1})), _time(0), ZONE)  # Monday is 0
    assert not fits(_wish(1, therapist_id=2), _time(0), ZONE)
    assert fits(_wish(1, therapist_id=2), _time(0, therapists=(1, 2)), ZONE)
    assert not fits(_wish(1, first_day=DAY + timedelta(days=1)), _time(0), ZONE)
    assert not fits(_wish(1, service_id=2), _time(0), ZONE)


def test_offer_length_full_when_far_shorter_when_near_never_past_notice():
    now = BASE
    length, notice = timedelta(minutes=30), timedelta(hours=2)
    far = now + timedelta(days=2)
    assert offer_expiry(now, far, length=length, min_notice=notice) == now + length
    near = now + notice + timedelta(minutes=40)
    expiry = offer_expiry(now, near, length=length, min_notice=notice)
    assert expiry == now + timedelta(minutes=20)
    assert expiry <= near - notice
    assert (
        offer_expiry(now, now + notice + timedelta(minutes=6), length=length, min_notice=notice)
        is None
    )


wishes = st.lists(
    st.builds(
        lambda i, joined, service, part, open_, therapist: _wish(
            i,
            joined=joined,
            service_id=service,
            day_parts=frozenset({part}) if part else frozenset(),
            has_open_offer=open_,
            therapist_id=therapist,
        ),
        st.integers(0, 10_000),
        st.integers(0, 50),
        st.integers(1, 2),
        st.sampled_from([None, "morning", "afternoon"]),
        st.booleans(),
        st.sampled_from([None, 1, 2]),
    ),
    max_size=12,
    unique_by=lambda w: w.entry_id,
)
times = st.lists(
    st.builds(
        lambda slot, service, ts: _time(slot, service, ts),
        st.integers(0, 20),
        st.integers(1, 2),
        st.sampled_from([(1,), (2,), (1, 2)]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(wishes, times)
def test_property_nobody_skipped_who_fits_and_nobody_offered_twice(ws, ts):
    pairs = assign(ws, ts, ZONE)
    given_ids = [w.entry_id for w, _ in pairs]
    given_times = [t for _, t in pairs]
    # Nobody twice, nobody with an open offer, and every pair fits.
    assert len(given_ids) == len(set(given_ids))
    assert all(not w.has_open_offer and fits(w, t, ZONE) for w, t in pairs)
    # No two offers of one pass overlap (they could need the same therapist or room).
    for i, a in enumerate(given_times):
        assert all(not a.overlaps(b) for b in given_times[i + 1 :])
    # Queue order: pairs come out longest waiting first.
    order = [(w.joined_at, w.entry_id) for w, _ in pairs]
    assert order == sorted(order)
    # Nobody skipped who fits: an entry left without an offer had no fitting time that was
    # still free of every time given to someone who waited longer than it.
    for wish in ws:
        if wish.has_open_offer or wish.entry_id in given_ids:
            continue
        before = [
            t for w, t in pairs if (w.joined_at, w.entry_id) < (wish.joined_at, wish.entry_id)
        ]
        for time in ts:
            assert not (fits(wish, time, ZONE) and not any(time.overlaps(b) for b in before))
