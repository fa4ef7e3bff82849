"""The patient's waitlist pages: joining from the picker or a booking, the entry's link
(view, change, leave), and the offer page (one confirmation claims; a GET never does)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    MessageKind,
    OfferState,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.waitlist.offering import offer_free_times
from tests.support.flows import FORM_KEY_RE
from tests.waitlist.helpers import NOW, THURSDAY, THURSDAY_10, book, later
from tests.waitlist.pages import JOIN, clinic, entry_path, join_through_the_pages, outbox

__all__ = ["clinic"]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


def waiting() -> list[WaitlistEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.ended_at.is_(None))))


def test_the_picker_offers_the_waitlist(client, clinic):
    join_through_the_pages(client)  # leaves the treatment and the screen in the draft
    page = client.get("/book/time").get_data(as_text=True)
    assert "Tell me if a time comes up" in page
    assert 'href="/waitlist/join' in page


def test_the_waitlist_link_of_a_full_day_is_for_that_day(client, app):
    from tests.builders import make_room, make_service, make_therapist
    from tests.support.flows import choose

    service = make_service(slug="back-care", name="Back care", durations=((60, 5000),))
    make_therapist(services=[service], hours={3: [(600, 660)], 4: [(600, 660)]})
    make_room()
    db.session.commit()
    book(service.id)  # Thursday's one time is taken; Friday's is free
    assert choose(client, "back-care:60").status_code == 303
    picker = client.get("/book/time?from=2027-03-10").get_data(as_text=True)
    # The full day is in the strip as a day the patient can open.
    assert 'aria-label="Thursday 11 March, no free times"' in picker
    full = client.get("/book/time?from=2027-03-10&day=2027-03-11").get_data(as_text=True)
    assert "Thursday 11 March" in full and "Every time on this day is taken" in full
    assert 'aria-current="date"' in full and "Friday 12 March at 10:00" not in full
    assert 'href="/waitlist/join?day=2027-03-11"' in full
    form = client.get("/waitlist/join?day=2027-03-11").get_data(as_text=True)
    for name in ("first_day", "last_day"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        assert 'value="2027-03-11"' in box, box


def test_joining_from_the_picker_confirms_it_and_queues_the_entry_email(client, clinic):
    service, _ = clinic
    book(service)  # Thursday is full
    response = join_through_the_pages(client)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.location)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You're on the waitlist" in text and "Thursday 11 March 2027" in text
    [entry] = waiting()
    assert (entry.service_id, entry.minutes, entry.first_day) == (service, 60, THURSDAY)
    assert entry.screen_answers and entry.screened_at == NOW  # the flow's own screen
    assert entry.contact_email == "wendy@example.org"
    [message] = outbox(MessageKind.WAITLIST_JOINED)
    assert message.booking_id is None and message.to_address == "wendy@example.org"
    # The entry's own link opens its page.
    view = client.get(entry_path(page))
    assert view.status_code == 200 and "Leave the waitlist" in view.get_data(as_text=True)


def test_joining_asks_for_the_treatment_and_the_screen_first(client, clinic):
    response = client.post("/waitlist/join", data=JOIN)
    assert response.status_code == 303 and response.location.endswith("/book/")
    assert waiting() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_day": "2027-03-09"}, "Please choose dates from today"),
        ({"last_day": "2027-07-01"}, "Please choose dates from today"),
        ({"last_day": "2027-03-10", "first_day": "2027-03-12"}, "can&#39;t be before the first"),
        ({"email": "not-an-email"}, "email"),
        ({"agree_policy": ""}, "cancellation policy"),
        ({"weekdays": "9"}, "Not a valid choice"),
    ],
    ids=["past", "beyond the horizon", "backwards", "email", "policy", "weekday"],
)
def test_bad_joining_input_says_why_and_stores_nothing(client, clinic, fields, message):
    response = join_through_the_pages(client, **fields)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    assert waiting() == []
    assert outbox(MessageKind.WAITLIST_JOINED) == []


def test_the_same_form_sent_twice_keeps_one_place(client, clinic):
    first = join_through_the_pages(client)
    second = client.post("/waitlist/join", data=JOIN)
    assert first.status_code == second.status_code == 303
    assert len(waiting()) == 1
    assert client.get(second.location).status_code == 200


def test_a_patient_holds_only_the_capped_number_of_places(client, clinic, app):
    app.config["WAITLIST_MAX_ENTRIES_PER_EMAIL"] = 2
    try:
        for day in ("2027-03-11", "2027-03-18"):
            response = join_through_the_pages(client, first_day=day, last_day=day)
            assert response.status_code == 303
        refused = client.post(
            "/waitlist/join", data={**JOIN, "first_day": "2027-03-25", "last_day": "2027-03-25"}
        )
    finally:
        app.config["WAITLIST_MAX_ENTRIES_PER_EMAIL"] = 3
    assert refused.status_code == 409
    assert "already waiting for 2 times" in refused.get_data(as_text=True)
    assert len(waiting()) == 2


def test_changing_keeps_the_place_in_the_queue_and_leaving_ends_the_link(client, clinic):
    path = entry_path(client.get(join_through_the_pages(client).location))
    [before] = waiting()
    response = client.post(
        f"{path}/change",
        data={"first_day": "2027-03-11", "last_day": "2027-03-19", "weekdays": ["3", "4"]},
    )
    assert response.status_code == 303
    [after] = waiting()
    assert after.joined_at == before.joined_at
    assert (after.last_day.isoformat(), after.weekdays) == ("2027-03-19", [3, 4])
    assert client.get(path).status_code == 200
    left = client.post(f"{path}/leave")
    assert left.status_code == 200 and "left the waitlist" in left.get_data(as_text=True)
    assert waiting() == []
    assert client.get(path).status_code == 404


def test_a_booking_can_wait_for_an_earlier_time(client, clinic, app):
    service, _ = clinic
    later_booking = book(service, THURSDAY_10 + timedelta(days=7), n=5)  # the next Thursday
    token = bookings.reissue_link(later_booking, now=NOW)
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert f'href="/manage/{token}/earlier"' in page
    form = client.get(f"/manage/{token}/earlier")
    assert form.status_code == 200 and "the day before your appointment" in form.get_data(
        as_text=True
    )
    too_late = client.post(
        f"/manage/{token}/earlier", data={"first_day": "2027-03-11", "last_day": "2027-03-18"}
    )
    assert too_late.status_code == 400 and waiting() == []
    response = client.post(
        f"/manage/{token}/earlier", data={"first_day": "2027-03-11", "last_day": "2027-03-11"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [entry] = waiting()
    assert entry.booking_id == later_booking and entry.contact_email == "booked5@example.org"
    # Asking again opens the same place instead of making a second one.
    again = client.get(f"/manage/{token}/earlier")
    assert again.status_code in (302, 303) and "/waitlist/" in again.location
    assert len(waiting()) == 1


@pytest.fixture
def offered(client, clinic):
    """Thursday's only time, cancelled and offered to the patient who joined for it."""
    service, _ = clinic
    taken = book(service)
    path = entry_path(client.get(join_through_the_pages(client).location))
    bookings.cancel(taken, actor=Actor.patient(), now=later(1), enforce_cutoff=False)
    assert offer_free_times(now=later(2)) == 1
    offer = db.session.scalar(select(WaitlistOffer))
    return f"{path}/offers/{offer.public_id}", offer.id


def live() -> list[Booking]:
    db.session.rollback()
    return list(
        db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    )


def test_the_offer_page_shows_the_time_and_a_get_never_claims(client, offered):
    path, offer_id = offered
    with clock.frozen(later(3)):
        for _ in range(3):
            page = client.get(path)
            assert page.status_code == 200
        text = page.get_data(as_text=True)
    assert "Thursday 11 March 2027, 10:00" in text and "Tess Therapist" in text
    assert "Take this time" in text and "let the next person have it" in text
    assert live() == []
    assert db.session.get(WaitlistOffer, offer_id).state is OfferState.OPEN


def test_one_confirmation_claims_and_shows_the_booking_flows_confirmation(client, offered):
    path, offer_id = offered
    with clock.frozen(later(3)):
        key = FORM_KEY_RE.search(client.get(path).get_data(as_text=True)).group(1)
        response = client.post(f"{path}/claim", data={"form_key": key})
        assert response.status_code == 303 and "/book/done/" in response.location
        done = client.get(response.location)
        assert done.status_code == 200 and "You're booked" in done.get_data(as_text=True)
        # The same confirmation sent again shows the same booking, never a second one.
        again = client.post(f"{path}/claim", data={"form_key": key})
        assert again.status_code == 303 and again.location == response.location
    [booking] = live()
    assert booking.starts_at == THURSDAY_10
    assert db.session.get(WaitlistOffer, offer_id).state is OfferState.CLAIMED
    booked = [m for m in outbox(MessageKind.BOOKED) if m.booking_id == booking.id]
    assert len(booked) == 1  # the email with the invitation, queued by the booking verb


def test_declining_gives_the_time_to_the_next_entry(client, offered):
    path, offer_id = offered
    with clock.frozen(later(3)):
        response = client.post(f"{path}/decline")
        assert response.status_code == 303
        assert "still on the waitlist" in client.get(response.location).get_data(as_text=True)
        page = client.get(path)
    assert page.status_code == 200 and "You let this time go" in page.get_data(as_text=True)
    assert "<li>Thursday 11 March, 10:00</li>" not in page.get_data(as_text=True)
    assert db.session.get(WaitlistOffer, offer_id).state is OfferState.DECLINED
    with clock.frozen(later(4)):
        refused = client.post(f"{path}/claim", data={"form_key": "k" * 24})
    assert refused.status_code == 409 and live() == []


def test_an_expired_offer_says_so_kindly_and_shows_the_next_free_times(client, offered):
    path, _ = offered
    with clock.frozen(later(60)):
        page = client.get(path)
        key = "k" * 24
        claim = client.post(f"{path}/claim", data={"form_key": key})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "offer has ended" in text
    assert "The next free times" in text and "Thursday 18 March, 10:00" in text
    # The time that was offered is free again but is not one of the "next" times.
    assert "<li>Thursday 11 March, 10:00</li>" not in text
    assert claim.status_code == 409 and "offer has ended" in claim.get_data(as_text=True)
    assert live() == []


def test_a_stale_screen_is_asked_again_on_the_offer_page(client, offered, app):
    path, _ = offered
    entry = db.session.scalar(select(WaitlistEntry))
    entry.screened_at = NOW - timedelta(days=30)
    db.session.commit()
    with clock.frozen(later(3)):
        page = client.get(path).get_data(as_text=True)
        assert "the health questions again" in page
        key = FORM_KEY_RE.search(page).group(1)
        refused = client.post(f"{path}/claim", data={"form_key": key})
    assert refused.status_code == 400 and live() == []
    assert db.session.scalar(select(func.count(WaitlistOffer.id))) == 1


def test_a_place_with_an_offer_waiting_cannot_be_changed_until_it_is_answered(client, offered):
    path, _ = offered
    entry_path_ = path.split("/offers/")[0]
    before = waiting()[0].last_day
    with clock.frozen(later(3)):
        view = client.get(entry_path_).get_data(as_text=True)
        assert "A time has come up for you" in view  # the entry's page points to the offer
        refused = client.post(
            f"{entry_path_}/change", data={"first_day": "2027-03-11", "last_day": "2027-03-19"}
        )
    assert refused.status_code == 409
    assert "answer that offer first" in refused.get_data(as_text=True)
    assert waiting()[0].last_day == before
