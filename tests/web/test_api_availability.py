"""``GET /api/v1/availability`` and ``GET /api/v1/services`` through the test client.

The clock is always frozen: nothing here depends on today's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, Closure, Room, Service, Therapist, TimeOff
from tests.support.builders import make_patient, make_room, make_service, make_therapist
from tests.support.database import DEFAULT_NOW

LONDON = ZoneInfo("Europe/London")
SERVICE = "therapeutic-back-massage"  # offered by all three demo therapists; 30/45/60 min
API = "/api/v1/availability"


def get(client, now: datetime = DEFAULT_NOW, **params):
    params.setdefault("service", SERVICE)
    params.setdefault("duration", "60")
    with clock.frozen(now):
        return client.get(API, query_string={k: v for k, v in params.items() if v is not None})


def day(client, when: date, now: datetime = DEFAULT_NOW, **params) -> list[dict]:
    response = get(client, now, **{"from": when.isoformat(), "to": when.isoformat()}, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["slots"]


def wall(slots: list[dict]) -> list[str]:
    return [slot["start"][11:16] for slot in slots]


def quarter_hours(first: str, last: str) -> list[str]:
    """Every quarter hour from ``first`` to ``last`` inclusive, as HH:MM."""
    h, m = map(int, first.split(":"))
    end_h, end_m = map(int, last.split(":"))
    out, minutes = [], h * 60 + m
    while minutes <= end_h * 60 + end_m:
        out.append(f"{minutes // 60:02d}:{minutes % 60:02d}")
        minutes += 15
    return out


# --- Bad input: one test per class, each a JSON 400 ----------------------------------------


def assert_400(response, *field_names: str) -> dict:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == 400
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "fields", "request_id"}
    for name in field_names:
        assert name in error["fields"]
    return error


def test_unknown_service_is_400(client, demo):
    assert_400(get(client, service="no-such-service", **{"from": "2027-03-15"}), "service")


def test_missing_service_is_400(client, demo):
    response = get(client, service=None, **{"from": "2027-03-15", "to": "2027-03-15"})
    assert_400(response, "service")
    assert_400(get(client, service="", **{"from": "2027-03-15", "to": "2027-03-15"}), "service")


@pytest.mark.parametrize("minutes", ["61", "90", "0", "9999"])
def test_duration_the_service_does_not_offer_is_400(client, demo, minutes):
    error = assert_400(get(client, duration=minutes, **{"from": "2027-03-15", "to": "2027-03-15"}))
    assert "30, 45, 60" in error["fields"]["duration"]


@pytest.mark.parametrize("minutes", ["60.0", "٦٠", "-60", "", " 60", "6e1", "0x3c", "60min"])
def test_non_numeric_duration_is_400(client, demo, minutes):
    response = get(client, duration=minutes, **{"from": "2027-03-15", "to": "2027-03-15"})
    assert_400(response, "duration")


def test_missing_duration_is_400(client, demo):
    response = get(client, duration=None, **{"from": "2027-03-15", "to": "2027-03-15"})
    assert_400(response, "duration")


@pytest.mark.parametrize(
    "bad",
    ["2027-3-1", "tomorrow", "2027-02-30", "", "2027/03/15", "15-03-2027", "2027-03-15T00:00"],
)
@pytest.mark.parametrize("which", ["from", "to"])
def test_malformed_date_is_400(client, demo, bad, which):
    params = {"from": "2027-03-15", "to": "2027-03-16", which: bad}
    assert_400(get(client, **params), which)


def test_missing_dates_are_400(client, demo):
    assert_400(get(client, **{"to": "2027-03-16"}), "from")
    assert_400(get(client, **{"from": "2027-03-16"}), "to")


def test_reversed_dates_are_400(client, demo):
    assert_400(get(client, **{"from": "2027-03-16", "to": "2027-03-15"}), "to")


def test_range_of_62_days_apart_is_400_and_61_is_allowed(client, demo):
    first = date(2027, 3, 11)
    allowed = get(client, **{"from": first.isoformat(), "to": (first + timedelta(61)).isoformat()})
    assert allowed.status_code == 200
    refused = get(client, **{"from": first.isoformat(), "to": (first + timedelta(62)).isoformat()})
    assert_400(refused, "to")
    far = get(client, **{"from": first.isoformat(), "to": (first + timedelta(400)).isoformat()})
    assert_400(far, "to")


def test_a_date_before_today_in_the_clinic_is_400(client, demo):
    # 23:30 UTC on 31 Mar is already 1 April in London (BST): 31 March is the past there.
    now = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)
    assert_400(get(client, now, **{"from": "2027-03-31", "to": "2027-04-02"}), "from")
    assert get(client, now, **{"from": "2027-04-01", "to": "2027-04-02"}).status_code == 200
    assert_400(get(client, **{"from": "2027-03-09", "to": "2027-03-12"}), "from")
    assert_400(get(client, **{"from": "0001-01-01", "to": "0001-01-02"}), "from")


def test_unknown_therapist_is_400(client, demo):
    params = {"from": "2027-03-15", "to": "2027-03-15", "therapist": "nobody"}
    assert_400(get(client, **params), "therapist")


def test_dates_at_the_end_of_the_calendar_are_not_a_500(client, demo):
    response = get(client, **{"from": "9999-12-30", "to": "9999-12-31"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.get_json()["slots"] == []


# --- Correct times for the demo clinic ------------------------------------------------------


def test_a_normal_monday(client, demo):
    # Monday 15 March 2027 (GMT): Amira 09-13 and 14-18, Grace 08-12 and 12:45-16; 60 min.
    slots = day(client, date(2027, 3, 15))
    assert wall(slots) == quarter_hours("08:00", "12:00") + quarter_hours("12:45", "17:00")
    by_start = {slot["start"]: slot for slot in slots}
    assert by_start["2027-03-15T08:00:00+00:00"]["therapists"] == ["grace-okafor"]
    assert by_start["2027-03-15T09:00:00+00:00"]["therapists"] == ["amira-hassan", "grace-okafor"]
    assert by_start["2027-03-15T12:00:00+00:00"]["therapists"] == ["amira-hassan"]
    assert by_start["2027-03-15T14:00:00+00:00"]["therapists"] == ["amira-hassan", "grace-okafor"]
    assert by_start["2027-03-15T17:00:00+00:00"] == {
        "start": "2027-03-15T17:00:00+00:00",
        "end": "2027-03-15T18:00:00+00:00",
        "therapists": ["amira-hassan"],
    }


def test_response_shape(client, demo):
    response = get(client, **{"from": "2027-03-15", "to": "2027-03-21"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/London"
    assert body["service"] == SERVICE and body["duration"] == 60
    slugs = {"amira-hassan", "tom-reilly", "grace-okafor"}
    starts = [datetime.fromisoformat(slot["start"]) for slot in body["slots"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for slot in body["slots"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert start.utcoffset() is not None and slot["start"][-6:] in ("+00:00", "+01:00")
        assert end - start == timedelta(minutes=60)
        assert slot["therapists"] and set(slot["therapists"]) <= slugs
    # Sunday 21 March: the demo clinic is closed on Sundays.
    assert not [s for s in starts if s.astimezone(LONDON).date() == date(2027, 3, 21)]
    # The whole week has slots of every therapist.
    assert {t for slot in body["slots"] for t in slot["therapists"]} == slugs


@pytest.mark.parametrize(
    ("before", "after", "offset_before", "offset_after"),
    [
        # Spring forward (Sunday 28 March 2027): the Saturday before is GMT, the Monday BST.
        (date(2027, 3, 27), date(2027, 3, 29), "+00:00", "+01:00"),
        # Fall back (Sunday 31 October 2027): the Saturday before is BST, the Monday GMT.
        (date(2027, 10, 30), date(2027, 11, 1), "+01:00", "+00:00"),
    ],
)
def test_days_around_the_dst_changes_have_the_usual_wall_clock_times(
    client, demo, before, after, offset_before, offset_after
):
    now = datetime.combine(before - timedelta(days=10), time(9), UTC)
    for when, offset in ((before, offset_before), (after, offset_after)):
        slots = day(client, when, now)
        week_earlier = day(client, when - timedelta(days=7), now)
        assert slots, when
        assert wall(slots) == wall(week_earlier)
        assert [s["therapists"] for s in slots] == [s["therapists"] for s in week_earlier]
        for slot in slots:
            assert slot["start"].startswith(when.isoformat()) and slot["start"].endswith(offset)
            assert slot["end"].endswith(offset)
            local = datetime.fromisoformat(slot["start"])
            assert local.astimezone(LONDON).utcoffset() == local.utcoffset()
    # Saturday: Tom 09-13, Grace 10-15. Monday: Amira and Grace as on any Monday.
    assert wall(day(client, before, now)) == quarter_hours("09:00", "14:00")
    assert wall(day(client, after, now)) == quarter_hours("08:00", "12:00") + quarter_hours(
        "12:45", "17:00"
    )


def test_dst_change_sundays_are_closed_and_the_range_across_them_is_consistent(client, demo):
    now = datetime(2027, 3, 20, 9, tzinfo=UTC)
    response = get(client, now, **{"from": "2027-03-27", "to": "2027-03-29"})
    assert response.status_code == 200
    starts = [slot["start"] for slot in response.get_json()["slots"]]
    assert not [s for s in starts if s.startswith("2027-03-28")]
    assert [s[:10] for s in starts] == sorted(s[:10] for s in starts)
    assert starts == [s["start"] for s in day(client, date(2027, 3, 27), now)] + [
        s["start"] for s in day(client, date(2027, 3, 29), now)
    ]


def test_the_therapist_filter_narrows_the_list(client, demo):
    everyone = day(client, date(2027, 3, 15))
    grace = day(client, date(2027, 3, 15), therapist="grace-okafor")
    assert grace and all(slot["therapists"] == ["grace-okafor"] for slot in grace)
    assert wall(grace) == quarter_hours("08:00", "11:00") + quarter_hours("12:45", "15:00")
    assert set(wall(grace)) < set(wall(everyone))
    # Tom does not work on Mondays; Amira does not offer Swedish massage.
    assert day(client, date(2027, 3, 15), therapist="tom-reilly") == []
    assert day(client, date(2027, 3, 15), service="swedish-massage", therapist="amira-hassan") == []


def _demo(slug_model, slug):
    return db.session.scalar(select(slug_model).where(slug_model.slug == slug))


def _hold(expires_at: datetime) -> Booking:
    """A held 60-minute booking with Amira in room 1, Monday 15 March 10:00 GMT."""
    service = _demo(Service, SERVICE)
    starts = datetime(2027, 3, 15, 10, tzinfo=UTC)
    booking = Booking(
        patient=make_patient(),
        service=service,
        therapist=_demo(Therapist, "amira-hassan"),
        room=_demo(Room, "room-1"),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=60),
        busy_until=starts + timedelta(minutes=75),
        duration_minutes=60,
        price_pence=5800,
        status=BookingStatus.HELD,
        hold_expires_at=expires_at,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def _amira(client) -> list[str]:
    return wall(day(client, date(2027, 3, 15), therapist="amira-hassan"))


def test_a_live_hold_blocks_its_therapist(client, demo):
    free = _amira(client)
    _hold(expires_at=DEFAULT_NOW + timedelta(hours=20))
    held = _amira(client)
    # Busy 10:00-11:15; a start at 09:00 is busy until 10:15 (60 min + 15 buffer): gone too.
    assert set(free) - set(held) == set(quarter_hours("09:00", "11:00"))
    assert set(held) < set(free)
    # Grace, in the other room, still takes 10:00 for anyone who lets the clinic choose.
    slot = next(s for s in day(client, date(2027, 3, 15)) if s["start"].endswith("T10:00:00+00:00"))
    assert slot["therapists"] == ["grace-okafor"]


def test_an_expired_hold_not_yet_marked_does_not_block(client, demo):
    free = _amira(client)
    booking = _hold(expires_at=DEFAULT_NOW - timedelta(minutes=1))
    assert booking.status is BookingStatus.HELD  # nothing has marked it expired
    assert _amira(client) == free
    slot = next(s for s in day(client, date(2027, 3, 15)) if s["start"].endswith("T10:00:00+00:00"))
    assert slot["therapists"] == ["amira-hassan", "grace-okafor"]


def test_christmas_closure_gives_no_slots(client, demo):
    now = datetime(2027, 12, 1, 9, tzinfo=UTC)
    response = get(client, now, **{"from": "2027-12-23", "to": "2027-12-28"})
    assert response.status_code == 200
    days = {slot["start"][:10] for slot in response.get_json()["slots"]}
    # Thu 23 and Fri 24 open; Sat 25 and Sun 26 closed (and Sunday anyway); Mon 27 open.
    assert "2027-12-25" not in days and "2027-12-26" not in days
    assert {"2027-12-23", "2027-12-24", "2027-12-27", "2027-12-28"} <= days
    assert day(client, date(2027, 12, 25), now) == []
    assert day(client, date(2027, 12, 18), now)  # the Saturday before is open


def test_time_off_of_one_therapist_removes_only_theirs(client, demo):
    before = day(client, date(2027, 3, 15))
    grace = _demo(Therapist, "grace-okafor")
    db.session.add(
        TimeOff(
            therapist=grace,
            starts_at=datetime(2027, 3, 15, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 16, 0, tzinfo=UTC),
            reason="Training",
        )
    )
    db.session.commit()
    after = day(client, date(2027, 3, 15))
    assert wall(after) == quarter_hours("09:00", "12:00") + quarter_hours("14:00", "17:00")
    assert all(slot["therapists"] == ["amira-hassan"] for slot in after)
    amira_before = [
        {**slot, "therapists": ["amira-hassan"]}
        for slot in before
        if "amira-hassan" in slot["therapists"]
    ]
    assert after == amira_before
    # Other days are untouched.
    assert "grace-okafor" in {t for s in day(client, date(2027, 3, 17)) for t in s["therapists"]}


def test_a_closure_added_later_shows_on_the_next_request(client, demo):
    assert day(client, date(2027, 3, 16))
    db.session.add(
        Closure(
            starts_at=datetime(2027, 3, 16, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 17, 0, tzinfo=UTC),
            reason="Refurbishment",
        )
    )
    db.session.commit()
    assert day(client, date(2027, 3, 16)) == []


# --- The number of SQL statements ------------------------------------------------------------


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        # Transaction control is not a query: SQLite gets an explicit BEGIN from
        # booking.database, PostgreSQL's driver begins implicitly (no event at all).
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _clinic(therapists: int, past_bookings: int) -> Service:
    service = make_service(slug="massage", durations=((60, 5500),))
    hours = {d: [(9 * 60, 13 * 60), (14 * 60, 18 * 60)] for d in range(6)}
    people = [make_therapist(services=[service], hours=hours) for _ in range(therapists)]
    rooms = [make_room() for _ in range(3)]
    patient = make_patient()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    rows = []
    for n in range(past_bookings):
        starts = start + timedelta(hours=2 * n)
        rows.append(
            {
                "public_id": f"past{n:028d}",
                "patient_id": patient.id,
                "service_id": service.id,
                "therapist_id": people[n % therapists].id,
                "room_id": rooms[n % len(rooms)].id,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=60),
                "busy_until": starts + timedelta(minutes=75),
                "duration_minutes": 60,
                "price_pence": 5500,
                "status": BookingStatus.COMPLETED,
            }
        )
    if rows:
        db.session.execute(insert(Booking), rows)
    db.session.commit()
    return service


@pytest.mark.parametrize("therapists", [3, 12])
@pytest.mark.parametrize("past_bookings", [0, 500])
@pytest.mark.parametrize("days", [1, 31])
def test_one_request_issues_at_most_three_statements(client, therapists, past_bookings, days):
    _clinic(therapists, past_bookings)
    first = date(2027, 3, 15)
    params = {"service": "massage", "from": first.isoformat()}
    params["to"] = (first + timedelta(days=days - 1)).isoformat()
    get(client, **params)  # warm: first-request set-up is not what is measured
    db.session.remove()
    with counting_statements() as statements:
        response = get(client, **params)
    assert response.status_code == 200
    assert response.get_json()["slots"]
    assert len(statements) <= 3, statements


def test_the_therapist_filter_adds_at_most_one_statement(client, demo):
    params = {"from": "2027-03-15", "to": "2027-04-14", "therapist": "grace-okafor"}
    get(client, **params)
    db.session.remove()
    with counting_statements() as statements:
        response = get(client, **params)
    assert response.status_code == 200
    assert len(statements) <= 3, statements


# --- Services ------------------------------------------------------------------------------


def test_services_lists_the_demo_services_with_durations_and_prices(client, demo):
    from booking.demo.data import SERVICES

    response = client.get("/api/v1/services")
    assert response.status_code == 200
    listed = response.get_json()["services"]
    assert [s["slug"] for s in listed] == [spec["slug"] for spec in SERVICES]
    for spec, service in zip(SERVICES, listed, strict=True):
        assert service["name"] == spec["name"]
        assert service["buffer_minutes"] == spec["buffer"]
        assert service["deep_pressure"] is spec["deep"]
        assert [(d["minutes"], d["price_pence"]) for d in service["durations"]] == spec["durations"]
    massage = next(s for s in listed if s["slug"] == SERVICE)
    assert massage["durations"] == [
        {"minutes": 30, "price_pence": 3500},
        {"minutes": 45, "price_pence": 4800},
        {"minutes": 60, "price_pence": 5800},
    ]
    assert massage["therapists"] == ["amira-hassan", "tom-reilly", "grace-okafor"]
