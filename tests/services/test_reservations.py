"""Offer reservations: an open offer's time is held by an ``offered`` booking row; a claim
consumes it once, an offer that ran out gives its time back, and ending an offer frees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingStatus, OfferState, WaitlistEntry, WaitlistOffer
from booking.services import reservations
from booking.services.audit import Actor
from booking.services.locking import run_in_write_transaction
from booking.services.waitlist.offering import offer_free_times
from tests.support.builders import make_room, make_service, make_therapist
from tests.waitlist.helpers import ONE_SLOT, join, later, offers

PATIENT = Actor.patient()


@pytest.fixture
def offer(app) -> WaitlistOffer:
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    entry_id, _ = join(service.id)
    assert offer_free_times(now=later(1)) == 1
    [found] = offers(entry_id)
    return found


def reserved() -> list[int]:
    return list(
        db.session.scalars(select(Booking.id).where(Booking.status == BookingStatus.OFFERED))
    )


def test_an_open_offer_holds_its_time_with_an_offered_row(offer):
    assert reserved() == [offer.reservation_id]


def test_a_claim_consumes_the_reservation_once_and_ends_the_entry(offer):
    reservation_id, now = offer.reservation_id, later(2)
    claimed = run_in_write_transaction(
        lambda: reservations.consume(reservation_id, now=now, actor=PATIENT)
    )
    assert claimed.id == offer.id
    assert claimed.state is OfferState.CLAIMED
    assert db.session.get(WaitlistEntry, claimed.entry_id).end_reason == "claimed"
    assert reserved() == []
    again = run_in_write_transaction(
        lambda: reservations.consume(reservation_id, now=now, actor=PATIENT)
    )
    assert again is None


def test_a_claim_after_the_offer_ran_out_gets_nothing(offer):
    reservation_id, too_late = offer.reservation_id, offer.expires_at + timedelta(seconds=1)
    assert (
        run_in_write_transaction(
            lambda: reservations.consume(reservation_id, now=too_late, actor=PATIENT)
        )
        is None
    )


def test_an_offer_that_ran_out_is_expired_and_its_time_given_back(offer):
    expiry = offer.expires_at
    assert (
        db.session.scalar(select(reservations.anything_overdue(expiry - timedelta(seconds=1))))
        is False
    )
    assert db.session.scalar(select(reservations.anything_overdue(expiry))) is True
    ended = run_in_write_transaction(lambda: reservations.release_overdue(now=expiry))
    assert [o.id for o in ended] == [offer.id]
    assert offers(state=OfferState.EXPIRED)[0].id == offer.id
    assert reserved() == []


def test_ending_an_offer_frees_its_time(offer):
    offer_id, now = offer.id, later(2)

    def decline():
        found = db.session.get(WaitlistOffer, offer_id)
        reservations.end_offer(found, OfferState.DECLINED, now=now)

    run_in_write_transaction(decline)
    [declined] = offers(state=OfferState.DECLINED)
    assert (declined.id, declined.reservation_id, declined.decided_at) == (offer_id, None, now)
    assert reserved() == []
