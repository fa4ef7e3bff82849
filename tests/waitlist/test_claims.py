"""Claiming an offer: the booking verb books it; races have exactly one winner."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    OfferState,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.services import bookings, reservations
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.waitlist import claims
from booking.services.waitlist.offering import offer_free_times
from tests.builders import make_room, make_service, make_therapist
from tests.screens import fine
from tests.waitlist.helpers import NOW, ONE_SLOT, THURSDAY, THURSDAY_10, join, later, offers


@pytest.fixture
def offered(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    therapist = make_therapist(services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    entry, _ = join(service.id)
    assert offer_free_times(now=later(1)) == 1
    [offer] = offers(entry)
    return offer.id, service.id, therapist.id


def live_bookings():
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Booking).where(Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.HELD)))
        )
    )


def race(app, attempts):
    barrier = threading.Barrier(len(attempts))
    outcomes = [""] * len(attempts)

    def run(i, attempt):
        with app.app_context():
            barrier.wait()
            try:
                attempt(i)
                outcomes[i] = "won"
            except BookingError as refusal:
                outcomes[i] = refusal.reason
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_claiming_books_the_time_and_ends_the_entry(offered):
    offer_id, _, _ = offered
    booking = claims.claim(offer_id, now=later(5), actor=Actor.patient(), form_key="k1")
    assert booking.starts_at == THURSDAY_10
    assert booking.status is BookingStatus.CONFIRMED
    offer = db.session.get(WaitlistOffer, offer_id, populate_existing=True)
    assert offer.state is OfferState.CLAIMED and offer.booking_id == booking.id
    assert offer.reservation_id is None
    assert db.session.get(WaitlistEntry, offer.entry_id).ended_at == later(5)
    assert (
        db.session.scalar(select(func.count()).where(Booking.status == BookingStatus.OFFERED)) == 0
    )
    # The same confirmation sent twice returns the same booking.
    again = claims.claim(offer_id, now=later(6), actor=Actor.patient(), form_key="k1")
    assert again.id == booking.id


def test_an_expired_offer_says_so_and_shows_the_next_free_times(offered):
    offer_id, _, _ = offered
    offer = db.session.get(WaitlistOffer, offer_id)
    with pytest.raises(BookingError) as refusal:
        claims.claim(offer_id, now=offer.expires_at, actor=Actor.patient())
    assert refusal.value.reason == "offer_ended"
    assert "still on the waitlist" in str(refusal.value)
    # Free again now, but it is the time just offered: the next free ones are shown.
    starts = [slot.start for slot in refusal.value.alternatives]
    assert THURSDAY_10 not in starts
    assert starts[0] == THURSDAY_10 + timedelta(days=7)
    assert live_bookings() == []


def test_a_stale_screen_is_asked_again(offered):
    offer_id, _, _ = offered
    entry = db.session.get(WaitlistOffer, offer_id).entry
    entry.screened_at = NOW - timedelta(days=30)
    db.session.commit()
    with pytest.raises(BookingError) as refusal:
        claims.claim(offer_id, now=later(5), actor=Actor.patient())
    assert refusal.value.reason == "screen_required"
    booking = claims.claim(offer_id, now=later(5), actor=Actor.patient(), screen=fine())
    assert booking.starts_at == THURSDAY_10


@pytest.mark.committed
def test_32_claims_of_one_offer_give_one_booking(app, offered):
    offer_id, _, _ = offered
    outcomes = race(
        app,
        [
            lambda i: claims.claim(offer_id, now=later(5), actor=Actor.patient(), form_key=f"f{i}")
            for _ in range(32)
        ],
    )
    assert outcomes == Counter({"won": 1, "offer_claimed": 31})
    assert len(live_bookings()) == 1


@pytest.mark.committed
def test_a_claim_racing_its_expiry_has_one_outcome(app, offered):
    offer_id, _, _ = offered
    expiry = db.session.get(WaitlistOffer, offer_id).expires_at

    def expire(_):
        from booking.services.locking import run_in_write_transaction

        run_in_write_transaction(lambda: reservations.release_overdue(now=expiry))

    def claim(_):
        claims.claim(offer_id, now=expiry - timedelta(seconds=1), actor=Actor.patient())

    race(app, [claim, expire] * 4)
    offer = db.session.get(WaitlistOffer, offer_id, populate_existing=True)
    booked = live_bookings()
    if offer.state is OfferState.CLAIMED:
        assert [b.id for b in booked] == [offer.booking_id]
    else:
        assert offer.state is OfferState.EXPIRED and booked == []


@pytest.mark.committed
def test_a_claim_racing_a_reception_booking_has_one_winner(app, offered):
    offer_id, service, therapist = offered

    def reception(i):
        bookings.book(
            bookings.BookingRequest(
                service_id=service,
                minutes=60,
                start=THURSDAY_10,
                therapist_id=therapist,
                name="Caller",
                email=f"caller{i}@example.org",
                phone="+447700900999",
                source=BookingSource.RECEPTION,
            ),
            actor=Actor.system(),
            now=later(5),
        )

    def claim(i):
        claims.claim(offer_id, now=later(5), actor=Actor.patient(), form_key=f"c{i}")

    outcomes = race(app, [claim, reception] * 4)
    assert outcomes["won"] == 1
    assert len(live_bookings()) == 1
    assert set(outcomes) <= {"won", "offer_claimed", "taken"}


def test_a_patient_moving_earlier_gets_the_swap(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours={3: [(600, 660)], 4: [(600, 660)]})
    make_room()
    db.session.commit()
    friday = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=THURSDAY_10 + timedelta(days=1),
            name="Mover",
            email="mover@example.org",
            phone="+447700900123",
            screen=fine(),
        ),
        actor=Actor.patient(),
        now=NOW,
    ).booking.id
    thursday_blocker = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=THURSDAY_10,
            name="Other",
            email="other@example.org",
            phone="+447700900123",
            screen=fine(),
        ),
        actor=Actor.patient(),
        now=NOW,
    ).booking.id
    entry, _ = join(service.id, 7, booking_id=friday, first_day=THURSDAY, last_day=THURSDAY)
    bookings.cancel(thursday_blocker, actor=Actor.patient(), now=later(1), enforce_cutoff=False)
    assert offer_free_times(now=later(2)) == 1
    [offer] = offers(entry)
    moved = claims.claim(offer.id, now=later(3), actor=Actor.patient())
    assert moved.id == friday
    assert moved.starts_at == THURSDAY_10
    # One booking moved, none added: the Friday time is free again.
    assert [b.id for b in live_bookings()] == [friday]
