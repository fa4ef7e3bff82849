"""Reception's waitlist: the queue, hand offers, skipping, removing with a reason, phone booking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    OfferState,
    StaffRole,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.waitlist import desk
from booking.services.waitlist.offering import offer_free_times
from tests.builders import make_room, make_service, make_therapist
from tests.support.screens import form_data
from tests.waitlist.helpers import NOW, ONE_SLOT, THURSDAY, THURSDAY_10, join, later, offers
from tests.web.test_reception_actions import signed_in

STAFF = Actor.staff(None)
TWO_SLOTS = {3: [(10 * 60, 12 * 60 + 15)]}  # Thursday 10:00 and 11:15 (15-minute buffer)


@pytest.fixture
def clinic(app):
    service = make_service(name="Back massage", durations=((60, 5000),), buffer_minutes=15)
    therapist = make_therapist(name="Tess Therapist", services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    return service, therapist


def events(action):
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def entry(entry_id):
    return db.session.get(WaitlistEntry, entry_id, populate_existing=True)


def test_the_queue_is_longest_waiting_first_with_the_times_that_fit(clinic):
    service, _ = clinic
    first, _ = join(service.id, 1, now=NOW - timedelta(days=2))
    second, _ = join(service.id, 2, day_parts=("afternoon",))
    join(service.id, 3, weekdays=(0,))  # Mondays only: not waiting for a Thursday
    rows = desk.queue(service, THURSDAY, now=NOW)
    assert [(r.entry.id, r.position) for r in rows] == [(first, 1), (second, 2)]
    assert rows[0].times == (THURSDAY_10,)
    assert rows[1].times == ()  # the 10:00 slot is a morning


def test_a_hand_offer_reserves_the_time_like_the_worker_and_is_audited(clinic):
    service, _ = clinic
    join(service.id, 1, now=NOW - timedelta(days=1))
    second, _ = join(service.id, 2)
    offer_id = desk.offer_by_hand(second, THURSDAY_10, actor=STAFF, now=NOW)
    [offer] = offers(second)
    assert offer.id == offer_id and offer.source == "reception"
    assert offer.reservation.status is BookingStatus.OFFERED
    assert offer.reservation.hold_expires_at == offer.expires_at
    [event] = events("waitlist.offered")
    assert event.actor_kind.value == "staff"
    # The worker's pass now finds the time taken: the longest waiting entry gets nothing.
    assert offer_free_times(now=later(1)) == 0


def test_one_offer_at_a_time_and_only_free_times(clinic):
    service, _ = clinic
    first, _ = join(service.id, 1)
    second, _ = join(service.id, 2)
    desk.offer_by_hand(first, THURSDAY_10, actor=STAFF, now=NOW)
    with pytest.raises(BookingError) as twice:
        desk.offer_by_hand(first, THURSDAY_10, actor=STAFF, now=NOW)
    assert twice.value.reason == "already_offered"
    with pytest.raises(BookingError) as taken:
        desk.offer_by_hand(second, THURSDAY_10, actor=STAFF, now=NOW)
    assert taken.value.reason == "not_free"
    assert len(offers()) == 1


def test_skipping_passes_the_time_to_the_next_entry(clinic):
    service, _ = clinic
    first, _ = join(service.id, 1, now=NOW - timedelta(days=1))
    second, _ = join(service.id, 2)
    assert offer_free_times(now=NOW) == 1
    [offer] = offers(first)
    desk.skip(first, actor=STAFF, now=later(2))
    assert db.session.get(WaitlistOffer, offer.id).state is OfferState.WITHDRAWN
    assert entry(first).ended_at is None  # still waiting for other times
    assert len(events("waitlist.skipped")) == 1
    assert offer_free_times(now=later(3)) == 1
    [next_offer] = offers()
    assert (next_offer.entry_id, next_offer.starts_at) == (second, THURSDAY_10)
    with pytest.raises(BookingError) as nothing:
        desk.skip(first, actor=STAFF, now=later(4))
    assert nothing.value.reason == "no_offer"


def test_removing_needs_a_real_reason_ends_the_entry_and_frees_its_offer(clinic):
    service, _ = clinic
    first, _ = join(service.id, 1)
    assert offer_free_times(now=NOW) == 1
    with pytest.raises(BookingError) as vague:
        desk.remove(first, "ok", actor=STAFF, now=later(1))
    assert vague.value.field == "reason"
    assert entry(first).ended_at is None and len(offers(first)) == 1
    desk.remove(first, "Found a time at another clinic", actor=STAFF, now=later(1))
    assert entry(first).ended_at == later(1)
    assert offers(first) == []
    assert db.session.scalar(select(Booking).where(Booking.status == BookingStatus.OFFERED)) is None
    [event] = events("waitlist.removed")
    assert event.details["reason"] == "Found a time at another clinic"


@pytest.mark.committed
def test_a_hand_offer_racing_the_worker_for_one_time_makes_one_offer(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    join(service.id, 1, now=NOW - timedelta(days=1))
    ids = [join(service.id, n)[0] for n in range(2, 6)]
    barrier = threading.Barrier(len(ids) + 1)
    made = []

    def by_hand(entry_id):
        with app.app_context():
            barrier.wait()
            try:
                made.append(desk.offer_by_hand(entry_id, THURSDAY_10, actor=STAFF, now=NOW))
            except BookingError:
                pass
            finally:
                db.session.remove()

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                made.extend([0] * offer_free_times(now=NOW))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=by_hand, args=(i,)) for i in ids]
    threads.append(threading.Thread(target=worker))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(made) == 1
    assert len(offers()) == 1
    reserved = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.OFFERED))
    assert len(list(reserved)) == 1


# ---- the page -------------------------------------------------------------------------------


@pytest.fixture
def page(app, clinic):
    with clock.frozen(NOW):
        client, _ = signed_in(app)
        yield client, clinic[0]


def test_the_page_shows_who_waits_the_offer_and_its_countdown(page):
    client, service = page
    join(service.id, 1, now=NOW - timedelta(days=1))
    join(service.id, 2, day_parts=("morning",))
    assert offer_free_times(now=NOW) == 1
    html = client.get("/reception/waitlist", query_string={"date": THURSDAY.isoformat()}).text
    assert html.index("Waiting 1") < html.index("Waiting 2")
    assert "10:00 with Tess Therapist" in html
    assert "30 min left" in html and "data-countdown" in html
    assert "60 min; any therapist; Thu 11 Mar; morning" in html
    assert "pain" not in html.lower()  # never the screen's answers
    assert 'href="/reception/waitlist"' in client.get("/reception/holds").text


def test_the_page_offers_skips_and_removes(page):
    client, service = page
    first, _ = join(service.id, 1)
    ref = entry(first).public_id
    form = {"start": THURSDAY_10.isoformat(), "service": service.slug, "date": "2027-03-11"}
    sent = client.post(f"/reception/waitlist/{ref}/offer", data=form)
    assert sent.status_code == 303 and "date=2027-03-11" in sent.location
    assert "kept for them until" in client.get(sent.location).text
    assert len(offers(first)) == 1
    assert client.post(f"/reception/waitlist/{ref}/skip", data=form).status_code == 303
    assert offers(first) == []
    refused = client.post(f"/reception/waitlist/{ref}/remove", data={"reason": "x"})
    assert "Please write the reason" in client.get(refused.location).text
    assert entry(first).ended_at is None
    client.post(f"/reception/waitlist/{ref}/remove", data={"reason": "Asked us by phone to stop"})
    assert entry(first).ended_at is not None
    assert client.post("/reception/waitlist/nope/skip", data=form).status_code == 404


def test_booking_a_waiting_caller_by_phone_ends_the_entry(page):
    client, service = page
    first, _ = join(service.id, 1)
    assert offer_free_times(now=NOW) == 1  # the caller's own offer holds 10:00
    ref = entry(first).public_id
    shown = client.get(
        "/reception/book",
        query_string={
            "waitlist": ref,
            "option": f"{service.slug}:60",
            "start": THURSDAY_10.isoformat(),
        },
    )
    assert "from the waitlist" in shown.text
    assert "the time kept for Waiting 1 by their waitlist offer" in shown.text
    data = {
        "option": f"{service.slug}:60",
        "therapist": "",
        "start": THURSDAY_10.isoformat(),
        "name": "Waiting 1",
        "email": "waiting1@example.org",
        "phone": "07700 900456",
        "over_18": "y",
        "form_key": "phone-key-1",
        "waitlist": ref,
        **form_data(),
    }
    response = client.post("/reception/book", data=data)
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    assert booking.starts_at == THURSDAY_10
    assert entry(first).ended_at is not None
    assert offers(first) == []
    # The kept time was claimed by reception for the caller: the audit says who.
    [claimed] = events("waitlist.claimed")
    assert claimed.actor_kind.value == "staff"


def test_the_page_is_for_staff_only(client):
    assert client.get("/reception/waitlist").status_code in (302, 303)


def test_a_therapist_sees_the_page_too(app, clinic):
    with clock.frozen(NOW):
        client, _ = signed_in(app, StaffRole.THERAPIST, therapist_id=clinic[1].id)
        assert client.get("/reception/waitlist").status_code == 200


def test_the_demo_shows_patients_waiting_and_an_offer_in_flight(app):
    from booking.demo import seed_demo
    from booking.models import MessageKind, OutboxMessage, Service

    seed_demo(now=NOW)
    with clock.frozen(NOW):
        client, _ = signed_in(app)
        offer = db.session.scalar(select(WaitlistOffer))
        service = db.session.get(Service, offer.service_id)
        day = offer.starts_at.date().isoformat()
        html = client.get(
            "/reception/waitlist", query_string={"service": service.slug, "date": day}
        ).text
    assert "3 waiting" in html and "25 min left" in html
    # The waitlist's demo mails nobody: the one email queued is the demo GP's link request.
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert kinds == {MessageKind.CLINICIAN_REQUEST}


def test_an_offer_run_out_is_not_in_flight_and_a_hand_offer_may_follow(clinic):
    service, _ = clinic
    first, _ = join(service.id, 1)
    desk.offer_by_hand(first, THURSDAY_10, actor=STAFF, now=NOW)
    [offer] = offers(first)
    after = offer.expires_at + timedelta(minutes=1)
    [row] = desk.queue(service, THURSDAY, now=after)
    assert row.offer is None  # not shown as a countdown past its end
    with pytest.raises(BookingError) as nothing:
        desk.skip(first, actor=STAFF, now=after)
    assert nothing.value.reason == "no_offer"
    # Reception may offer again: the run-out offer no longer counts as one in flight.
    desk.offer_by_hand(first, THURSDAY_10, actor=STAFF, now=after)
    assert len(offers(first)) == 1 and len(offers(first, OfferState.EXPIRED)) == 1


def _phone_booking(service_id, entry_id, start, n=1):
    from booking.models import BookingSource
    from booking.services import bookings
    from tests.screens import fine

    return bookings.book(
        bookings.BookingRequest(
            service_id=service_id,
            minutes=60,
            start=start,
            name=f"Waiting {n}",
            email=f"waiting{n}@example.org",
            phone="+447700900456",
            source=BookingSource.RECEPTION,
            screen=fine(),
            waitlist_entry_id=entry_id,
        ),
        actor=STAFF,
        now=NOW,
    ).booking


def test_booking_a_waiting_caller_ends_the_entry_and_its_other_offer_in_one_transaction(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours=TWO_SLOTS)
    make_room()
    db.session.commit()
    first, _ = join(service.id, 1)
    desk.offer_by_hand(first, THURSDAY_10, actor=STAFF, now=NOW)
    # The caller takes 11:15 instead: the 10:00 kept for them goes back with the booking.
    booked = _phone_booking(service.id, first, THURSDAY_10 + timedelta(minutes=75))
    assert booked.status is BookingStatus.CONFIRMED
    ended = entry(first)
    assert ended.ended_at == NOW and ended.end_reason == "booked by reception"
    assert offers(first) == [] and len(offers(first, OfferState.WITHDRAWN)) == 1
    assert db.session.scalar(select(Booking).where(Booking.status == BookingStatus.OFFERED)) is None
    [event] = events("waitlist.booked_by_phone")
    assert event.details["booking_ref"] == booked.public_id


def test_if_ending_the_entry_fails_nothing_is_booked(clinic, monkeypatch):
    service, _ = clinic
    first, _ = join(service.id, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("the entry could not be ended")

    from booking.services import reservations

    monkeypatch.setattr(reservations, "end_fulfilled", broken)
    with pytest.raises(RuntimeError):
        _phone_booking(service.id, first, THURSDAY_10)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert entry(first).ended_at is None  # still waiting: no booking was made


def test_booking_a_waiting_caller_with_no_offer_by_phone_ends_the_entry(page):
    client, service = page
    first, _ = join(service.id, 1)  # no offer in flight: the time is simply free
    ref = entry(first).public_id
    data = {
        "option": f"{service.slug}:60",
        "therapist": "",
        "start": THURSDAY_10.isoformat(),
        "name": "Waiting 1",
        "email": "waiting1@example.org",
        "phone": "07700 900456",
        "over_18": "y",
        "form_key": "phone-key-2",
        "waitlist": ref,
        **form_data(),
    }
    response = client.post("/reception/book", data=data)
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    assert booking.starts_at == THURSDAY_10
    assert entry(first).end_reason == "booked by reception"
    assert len(events("waitlist.booked_by_phone")) == 1


def test_a_skipped_time_is_not_offered_back_to_the_same_patient_a_little_later(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours=TWO_SLOTS)  # starts 10:00 to 11:00
    make_room()
    db.session.commit()
    first, _ = join(service.id, 1)
    assert offer_free_times(now=NOW) == 1
    assert offers(first)[0].starts_at == THURSDAY_10
    desk.skip(first, actor=STAFF, now=later(1))
    # 10:15 to 10:45 overlap the time let go; 11:00 is another time.
    assert offer_free_times(now=later(2)) == 1
    assert offers(first)[0].starts_at == THURSDAY_10 + timedelta(hours=1)
