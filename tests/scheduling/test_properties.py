"""Property tests over random clinics: hours, bookings, holds, closures, DST zones."""

import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.scheduling import (
    STATUSES,
    BusyBooking,
    Interval,
    Policy,
    SlotQuery,
    TherapistAvailability,
    WeeklyRange,
    boundary_to_utc,
    choose_room,
    choose_therapist,
    find_slots,
    free_rooms,
    is_blocking,
    overlaps,
    wall_to_utc,
)

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]
# Plain days and DST change days of 2027 in the zones above.
DAYS = [
    date(2027, 1, 11),
    date(2027, 3, 14),
    date(2027, 3, 28),
    date(2027, 4, 4),
    date(2027, 6, 16),
    date(2027, 10, 3),
    date(2027, 10, 31),
    date(2027, 11, 7),
]
MIN = timedelta(minutes=1)
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def weekly_ranges(draw, days: list[date]):
    start = draw(st.integers(0, 287)) * 5
    length = draw(st.integers(3, 144)) * 5  # 15 min .. 12 h
    # Mostly on the weekdays searched (or the evening before), so most clinics offer slots.
    weekday = draw(st.sampled_from([d.weekday() for d in days]) | st.integers(0, 6))
    return WeeklyRange(weekday, start, start + length)


@st.composite
def clinics(draw):
    """A whole scheduling problem as keyword arguments for find_slots."""
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.sampled_from(DAYS))
    last = first + timedelta(days=draw(st.integers(0, 2)))
    anchor = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    now = anchor - timedelta(minutes=draw(st.integers(0, 48 * 12)) * 5)

    def instant(lo_h: int, hi_h: int) -> datetime:
        return anchor + timedelta(minutes=5 * draw(st.integers(lo_h * 12, hi_h * 12)))

    def span(max_minutes: int) -> Interval:
        start = instant(-24, 96)
        return Interval(
            start, start + timedelta(minutes=5 * draw(st.integers(1, max_minutes // 5)))
        )

    near = [first - timedelta(days=1), first, last]
    ids = draw(st.lists(st.integers(1, 9), min_size=1, max_size=4, unique=True))
    therapists = [
        TherapistAvailability(
            therapist_id=tid,
            position=draw(st.integers(0, 3)),
            service_ids=frozenset(draw(st.sets(st.integers(1, 2), max_size=2)) | {1})
            if draw(st.integers(0, 4))
            else frozenset({2}),
            weekly=tuple(draw(st.lists(weekly_ranges(near), max_size=6))),
            time_off=tuple(span(240) for _ in range(draw(st.integers(0, 2)))),
        )
        for tid in ids
    ]
    rooms = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True))
    bookings = []
    for _ in range(draw(st.integers(0, 25))):
        s = span(180)
        status = draw(st.sampled_from(sorted(STATUSES)))
        hold = (
            now + timedelta(minutes=5 * draw(st.integers(-24, 24)))
            if status in ("held", "offered")
            else None
        )
        bookings.append(
            BusyBooking(
                therapist_id=draw(st.sampled_from([*ids, 42])),
                room_id=draw(st.sampled_from([*rooms, 99])),
                start=s.start,
                busy_until=s.end,
                status=status,
                hold_expires_at=hold,
            )
        )
    closures = [span(600) for _ in range(draw(st.integers(0, 2)))]
    q = SlotQuery(
        service_id=1,
        duration_minutes=draw(st.integers(1, 24)) * 5,
        buffer_minutes=draw(st.integers(0, 6)) * 5,
        first_day=first,
        last_day=last,
        therapist_ids=None
        if draw(st.booleans())
        else frozenset(draw(st.sets(st.sampled_from(ids), min_size=1))),
        earliest_start=instant(0, 72) if draw(st.booleans()) else None,
    )
    policy = Policy(
        slot_minutes=draw(st.sampled_from([5, 10, 15, 30])),
        min_notice=timedelta(minutes=5 * draw(st.integers(0, 48))),
        horizon=timedelta(hours=draw(st.integers(1, 240))),
    )
    return {
        "query": q,
        "tz": tz,
        "therapists": therapists,
        "room_ids": rooms,
        "bookings": bookings,
        "closures": closures,
        "policy": policy,
        "now": now,
    }


def work_intervals(t: TherapistAvailability, q: SlotQuery, tz: ZoneInfo):
    """Each weekly range on each day that can matter: (utc_start, utc_end, wall_start, wall_end)."""
    out = []
    day = q.first_day - timedelta(days=1)
    while day <= q.last_day:
        midnight = datetime.combine(day, datetime.min.time())
        for r in t.weekly:
            if r.weekday == day.weekday():
                ws, we = midnight + r.start_minute * MIN, midnight + r.end_minute * MIN
                us, ue = boundary_to_utc(ws, tz), boundary_to_utc(we, tz)
                if ue > us:
                    out.append((us, ue, ws, we))
        day += timedelta(days=1)
    return out


def covered(start: datetime, end: datetime, pieces) -> bool:
    """Whether [start, end) lies inside the union of the pieces (naive walk)."""
    cursor = start
    progressed = True
    while cursor < end and progressed:
        progressed = False
        for us, ue, _, _ in pieces:
            if us <= cursor < ue:
                cursor, progressed = ue, True
    return cursor >= end


def reference(query, tz, therapists, room_ids, bookings, closures, policy, now):
    """Brute force: try every grid point of every range, check every rule by linear scans."""
    occupied = timedelta(minutes=query.duration_minutes + query.buffer_minutes)
    duration = timedelta(minutes=query.duration_minutes)
    lo = now + policy.min_notice
    if query.earliest_start is not None:
        lo = max(lo, query.earliest_start)
    blocking = [b for b in bookings if is_blocking(b, now)]
    offers = defaultdict(list)
    for t in sorted(therapists, key=lambda t: (t.position, t.therapist_id)):
        if query.service_id not in t.service_ids:
            continue
        if query.therapist_ids is not None and t.therapist_id not in query.therapist_ids:
            continue
        pieces = work_intervals(t, query, tz)
        for _, _, ws, we in pieces:
            wall = ws
            while wall < we:
                s = wall_to_utc(wall, tz)
                on_day = query.first_day <= wall.date() <= query.last_day
                wall += policy.slot_minutes * MIN
                if s is None or not on_day or s < lo or s > now + policy.horizon:
                    continue
                span = Interval(s, s + occupied)
                if not covered(s, s + duration, pieces):
                    continue
                if any(
                    b.therapist_id == t.therapist_id
                    and overlaps(span, Interval(b.start, b.busy_until))
                    for b in blocking
                ):
                    continue
                if any(overlaps(span, c) for c in [*closures, *t.time_off]):
                    continue
                if not free_rooms(room_ids, bookings, s, s + occupied, now):
                    continue
                if t.therapist_id not in offers[s]:
                    offers[s].append(t.therapist_id)
    return [(s, tuple(offers[s])) for s in sorted(offers)]


@SETTINGS
@given(clinics())
def test_find_slots_matches_brute_force_reference(clinic):
    got = [(s.start, s.therapist_ids) for s in find_slots(**clinic)]
    assert got == reference(**clinic)


@SETTINGS
@given(clinics())
def test_every_offer_obeys_every_rule(clinic):
    q, tz, now, policy = clinic["query"], clinic["tz"], clinic["now"], clinic["policy"]
    slots = find_slots(**clinic)
    by_id = {t.therapist_id: t for t in clinic["therapists"]}
    local = [s.start.astimezone(tz) for s in slots]
    assert len({x.replace(tzinfo=None) for x in local}) == len(local)  # no local time twice
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    for s, wall in zip(slots, local, strict=True):
        assert s.start.tzinfo is not None and s.start.utcoffset() == timedelta(0)
        assert wall.fold == 0 and q.first_day <= wall.date() <= q.last_day
        assert s.end - s.start == timedelta(minutes=q.duration_minutes)
        assert s.busy_until - s.end == timedelta(minutes=q.buffer_minutes)
        assert now + policy.min_notice <= s.start <= now + policy.horizon
        assert q.earliest_start is None or s.start >= q.earliest_start
        span = Interval(s.start, s.busy_until)
        assert not any(overlaps(span, c) for c in clinic["closures"])
        assert free_rooms(clinic["room_ids"], clinic["bookings"], s.start, s.busy_until, now)
        positions = [(by_id[i].position, i) for i in s.therapist_ids]
        assert positions == sorted(positions)
        for tid in s.therapist_ids:
            t = by_id[tid]
            assert q.service_id in t.service_ids
            assert not any(overlaps(span, o) for o in t.time_off)
            assert not any(
                b.therapist_id == tid
                and is_blocking(b, now)
                and overlaps(span, Interval(b.start, b.busy_until))
                for b in clinic["bookings"]
            )
            pieces = work_intervals(t, q, tz)
            assert covered(s.start, s.end, pieces)
            # On the grid of a range that contains the start, counted in wall time.
            naive = wall.replace(tzinfo=None)
            assert any(
                ws <= naive < we and (naive - ws) % (policy.slot_minutes * MIN) == timedelta(0)
                for _, _, ws, we in pieces
            )


@SETTINGS
@given(clinics(), st.data())
def test_booking_an_offer_removes_every_clashing_offer(clinic, data):
    slots = find_slots(**clinic)
    if not slots:
        return
    now, rooms = clinic["now"], clinic["room_ids"]
    slot = data.draw(st.sampled_from(slots))
    positions = {t.therapist_id: t.position for t in clinic["therapists"]}
    tid = choose_therapist(slot.therapist_ids, {}, positions)
    room = choose_room(rooms, clinic["bookings"], slot.start, slot.busy_until, now)
    assert room is not None
    new = BusyBooking(tid, room, slot.start, slot.busy_until, "confirmed")
    bookings = [*clinic["bookings"], new]
    after = find_slots(**{**clinic, "bookings": bookings})
    before = {(s.start, t) for s in slots for t in s.therapist_ids}
    taken = Interval(new.start, new.busy_until)
    for s in after:
        span = Interval(s.start, s.busy_until)
        assert free_rooms(rooms, bookings, s.start, s.busy_until, now)
        for t in s.therapist_ids:
            assert (s.start, t) in before  # a new booking never opens a slot
            assert not (t == tid and overlaps(span, taken))
    assert not any(s.start == slot.start and tid in s.therapist_ids for s in after)


@SETTINGS
@given(clinics(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(clinic, rnd: random.Random):
    def shuffled(xs):
        xs = list(xs)
        rnd.shuffle(xs)
        return xs

    therapists = [
        replace(t, weekly=tuple(shuffled(t.weekly)), time_off=tuple(shuffled(t.time_off)))
        for t in shuffled(clinic["therapists"])
    ]
    mixed = {
        **clinic,
        "therapists": therapists,
        "room_ids": shuffled(clinic["room_ids"]),
        "bookings": shuffled(clinic["bookings"]),
        "closures": shuffled(clinic["closures"]),
    }
    assert find_slots(**mixed) == find_slots(**clinic)
