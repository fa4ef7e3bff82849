"""``/api/v1/waitlist``: join, view, leave and claim; every miss is the same 404."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, WaitlistEntry
from booking.services.waitlist.offering import offer_free_times
from booking.web.api.waitlist_schemas import ClaimResponse, EntryCreated, EntryResponse
from tests.builders import make_room, make_service, make_therapist
from tests.support.screens import fine
from tests.waitlist.helpers import NOW, ONE_SLOT, later

API = "/api/v1/waitlist"


@pytest.fixture
def clinic(app):
    service = make_service(name="Back massage", durations=((60, 5000),), buffer_minutes=15)
    therapist = make_therapist(name="Tess Therapist", services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    return service, therapist


def body(service, **changes):
    data = {
        "service": service.slug,
        "duration": 60,
        "therapist": None,
        "first_day": "2027-03-11",
        "last_day": "2027-03-12",
        "weekdays": [3],
        "day_parts": ["morning"],
        "name": "Wendy Waiting",
        "email": "wendy@example.org",
        "phone": "07700 900456",
        "over_18": True,
        "screen": fine().to_data(),
        "screen_consent": True,
    }
    data.update(changes)
    return data


def post(client, url, data, *, now=NOW, headers=None):
    with clock.frozen(now):
        return client.post(
            url,
            data=data if isinstance(data, str) else json.dumps(data),
            content_type="application/json",
            headers=headers or {},
        )


def get(client, url, *, now=NOW):
    with clock.frozen(now):
        return client.get(url)


def entries_count():
    return db.session.scalar(select(func.count(WaitlistEntry.id)))


def joined(client, service, **changes):
    response = post(client, API, body(service, **changes))
    assert response.status_code == 201, response.get_json()
    created = EntryCreated.model_validate(response.get_json())
    return created.entry, created.token


def test_joining_answers_the_wish_sent_and_a_token(client, clinic):
    service, _ = clinic
    entry, token = joined(client, service)
    assert (entry.service.slug, entry.duration, entry.therapist) == (service.slug, 60, None)
    assert entry.weekdays == [3] and entry.day_parts == ["morning"]
    assert entry.offer is None
    seen = get(client, f"{API}/{token}")
    assert seen.status_code == 200
    assert seen.headers["Cache-Control"] == "no-store"
    text = seen.get_data(as_text=True)
    assert "pain" not in text and "screen" not in text  # nothing of the screen
    assert EntryResponse.model_validate(seen.get_json()).entry.public_id == entry.public_id


def test_bad_input_names_every_field_and_stores_nothing(client, clinic):
    service, _ = clinic
    response = post(
        client,
        API,
        body(service, duration=45, first_day="2027-13-01", weekdays=[9], email="nope"),
    )
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert {"duration", "first_day", "weekdays", "email"} <= set(fields)
    assert entries_count() == 0
    far = post(client, API, body(service, last_day="2030-01-01"))
    assert far.status_code == 400 and "last_day" in far.get_json()["error"]["fields"]
    # The range is judged by the web form's own rule, with every other field at once.
    past = post(client, API, body(service, duration=45, first_day="2027-03-01"))
    fields = past.get_json()["error"]["fields"]
    assert set(fields) == {"duration", "first_day"}
    assert fields["first_day"].startswith("Please choose dates from today to")
    backwards = post(client, API, body(service, first_day="2027-03-12", last_day="2027-03-11"))
    assert set(backwards.get_json()["error"]["fields"]) == {"last_day"}
    assert post(client, API, "[1]").status_code == 400
    with clock.frozen(NOW):
        assert client.post(API, data="{}", content_type="text/plain").status_code == 415
    assert entries_count() == 0


def test_an_emergency_screen_joins_nothing_and_gives_the_advice(client, clinic):
    service, _ = clinic
    answers = fine(emergency_symptoms=frozenset({"saddle_numbness"})).to_data()
    response = post(client, API, body(service, screen=answers))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "emergency"
    assert entries_count() == 0


def test_a_retry_with_the_same_key_returns_the_same_entry(client, clinic):
    service, _ = clinic
    first = post(client, API, body(service), headers={"Idempotency-Key": "wait-key-0001"})
    again = post(client, API, body(service), headers={"Idempotency-Key": "wait-key-0001"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["token"] is None
    assert again.get_json()["entry"]["public_id"] == first.get_json()["entry"]["public_id"]
    other = post(
        client,
        API,
        body(service, duration=60, last_day="2027-03-11"),
        headers={"Idempotency-Key": "wait-key-0001"},
    )
    assert other.status_code == 409
    assert other.get_json()["error"]["reason"] == "idempotency_key_reused"
    assert entries_count() == 1


def test_unknown_malformed_and_ended_tokens_are_the_same_404(client, clinic):
    service, _ = clinic
    _, token = joined(client, service)
    unknown = get(client, f"{API}/{'x' * 43}")
    malformed = get(client, f"{API}/%00nope")
    assert unknown.status_code == malformed.status_code == 404
    assert post(client, f"{API}/{token}/leave", {}).status_code == 200
    ended = get(client, f"{API}/{token}")
    assert ended.status_code == 404
    assert ended.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]
    assert post(client, f"{API}/{token}/leave", {}).status_code == 404
    assert post(client, f"{API}/{token}/offers/abc/claim", {}).status_code == 404


def test_leaving_needs_the_empty_object(client, clinic):
    service, _ = clinic
    _, token = joined(client, service)
    assert post(client, f"{API}/{token}/leave", {"why": "x"}).status_code == 400
    assert get(client, f"{API}/{token}").status_code == 200


def test_claiming_an_offer_books_it_and_a_get_never_claims(client, clinic):
    service, _ = clinic
    _, token = joined(client, service)
    assert offer_free_times(now=later(1)) == 1
    seen = EntryResponse.model_validate(get(client, f"{API}/{token}", now=later(2)).get_json())
    offer = seen.entry.offer
    assert offer is not None and offer.start.hour == 10
    url = f"{API}/{token}/offers/{offer.public_id}/claim"
    assert get(client, url, now=later(2)).status_code == 405
    assert (
        db.session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)) is None
    )
    assert (
        post(client, f"{API}/{token}/offers/{'0' * 32}/claim", {}, now=later(3)).status_code == 404
    )
    claimed = post(client, url, {"idempotency_key": "claim-key-01"}, now=later(3))
    assert claimed.status_code == 200, claimed.get_json()
    booking = ClaimResponse.model_validate(claimed.get_json()).booking
    assert booking.status is BookingStatus.CONFIRMED
    replay = post(client, url, {"idempotency_key": "claim-key-01"}, now=later(4))
    assert replay.status_code == 200
    assert replay.get_json()["booking"]["public_id"] == booking.public_id
    again = post(client, url, {}, now=later(4))
    assert again.status_code == 409 and again.get_json()["error"]["reason"] == "offer_claimed"


def test_an_expired_offer_says_so_with_the_next_free_times(client, clinic):
    service, _ = clinic
    _, token = joined(client, service)
    assert offer_free_times(now=later(1)) == 1
    offer = get(client, f"{API}/{token}", now=later(2)).get_json()["entry"]["offer"]
    late = post(client, f"{API}/{token}/offers/{offer['public_id']}/claim", {}, now=later(120))
    assert late.status_code == 409
    error = late.get_json()["error"]
    assert error["reason"] == "offer_ended" and "alternatives" in error
