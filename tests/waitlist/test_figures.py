"""Freed times are recorded with the change that frees them; the admin home's refill figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import BookingStatus, FreedTime, StaffRole
from booking.services import bookings, holds
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.waitlist import claims, figures
from booking.services.waitlist.offering import offer_free_times
from tests.builders import make_room, make_service, make_therapist
from tests.support.builders import make_booking, make_patient
from tests.waitlist.helpers import NOW, THURSDAY_10, book, join, later, offers
from tests.web.test_reception_actions import signed_in

HOURS = {3: [(10 * 60, 13 * 60)]}  # Thursdays 10:00 to 13:00 (starts on the half hour)


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    therapist = make_therapist(services=[service], hours=HOURS)
    room = make_room()
    db.session.commit()
    return service, therapist, room


def freed():
    db.session.rollback()
    return list(db.session.scalars(select(FreedTime).order_by(FreedTime.id)))


def test_a_cancellation_records_its_time_once(clinic):
    service, therapist, _ = clinic
    booking_id = book(service.id)
    bookings.cancel(booking_id, actor=Actor.patient(), now=later(5))
    [row] = freed()
    assert (row.cause, row.starts_at, row.therapist_id) == ("cancelled", THURSDAY_10, therapist.id)
    assert row.freed_at == later(5)
    with pytest.raises(BookingError):
        bookings.cancel(booking_id, actor=Actor.patient(), now=later(6))
    assert len(freed()) == 1  # a refused change frees nothing


def test_a_reschedule_away_records_the_old_time(clinic):
    service, _, _ = clinic
    booking_id = book(service.id)
    bookings.reschedule(
        booking_id, THURSDAY_10 + timedelta(hours=2), actor=Actor.patient(), now=NOW
    )
    [row] = freed()
    assert (row.cause, row.starts_at, row.ends_at) == (
        "moved",
        THURSDAY_10,
        THURSDAY_10 + timedelta(hours=1),
    )


def test_an_expired_hold_records_its_time(clinic):
    service, therapist, room = clinic
    make_booking(
        starts_at=THURSDAY_10,
        status=BookingStatus.HELD,
        hold_expires_at=later(10),
        service=service,
        therapist=therapist,
        room=room,
        patient=make_patient(name="Helen Held", email="helen@example.org"),
    )
    db.session.commit()
    holds.expire_holds(now=later(9))
    assert freed() == []
    holds.expire_holds(now=later(11))
    assert [r.cause for r in freed()] == ["expired"]


def test_refill_figures_for_the_month_with_a_frozen_clock(clinic):
    service, _, _ = clinic
    # February: a cancellation that does not count in March.
    february = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
    bookings.cancel(
        book(service.id, THURSDAY_10 - timedelta(days=14), n=9, now=february),
        actor=Actor.patient(),
        now=february,
    )
    first = book(service.id, n=1)
    second = book(service.id, THURSDAY_10 + timedelta(minutes=90), n=2)
    entry, _ = join(service.id, 1, day_parts=("morning",))
    bookings.cancel(first, actor=Actor.patient(), now=later(1))
    assert offer_free_times(now=later(2)) == 1
    [offer] = offers(entry)
    assert offer.starts_at == THURSDAY_10
    claims.claim(offer.id, now=later(3), actor=Actor.patient(), form_key="figures-1")
    with clock.frozen(later(4)):
        numbers = figures.refills(now=clock.now())
    assert (numbers.month, numbers.refilled, numbers.freed, numbers.freed_refilled) == (
        "March 2027",
        1,
        1,
        1,
    )
    assert numbers.share == 100
    # A second freed time nobody took halves the share.
    bookings.cancel(second, actor=Actor.patient(), now=later(5))
    assert figures.refills(now=later(6)).share == 50
    assert figures.refills(now=datetime(2027, 4, 1, 9, 0, tzinfo=UTC)).freed == 0


def test_the_admin_home_shows_the_figures(app, clinic):
    service, _, _ = clinic
    with clock.frozen(NOW):
        client, _ = signed_in(app, StaffRole.ADMIN)
        html = client.get("/reception/admin/").text
        assert "Waitlist, March 2027" in html
        assert "none freed yet" in html
        bookings.cancel(book(service.id), actor=Actor.patient(), now=NOW)
        html = client.get("/reception/admin/").text
        assert "0%" in html and "0 of 1 freed" in html
