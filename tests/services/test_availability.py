"""Free starts as patients are offered them: inside a therapist's hours and the clinic's
notice and horizon, never over a booking, in the clinic's zone; one start asked about gets
the same answer as the list it comes from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import BookingStatus
from booking.services import availability
from tests.support.builders import make_booking, make_room, make_service, make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday; London is on GMT in March
THURSDAY = date(2027, 3, 11)
AT = {h: datetime(2027, 3, 11, h, 0, tzinfo=UTC) for h in range(8, 20)}
MORNING = {3: [(10 * 60, 13 * 60)]}  # Thursday 10:00-13:00


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5500),), buffer_minutes=0)
    therapist = make_therapist(services=[service], hours=MORNING)
    room = make_room()
    db.session.commit()
    return service, therapist, room


def starts(service, **options) -> list[datetime]:
    found = availability.slots_for(service, 60, THURSDAY, THURSDAY, now=NOW, **options)
    return [slot.start for slot in found.slots]


def test_starts_lie_inside_the_therapists_hours(clinic):
    service, therapist, _ = clinic
    found = starts(service)
    assert found[0] == AT[10]
    assert found[-1] == AT[12]  # the last hour that still ends by 13:00
    assert all(AT[10] <= start <= AT[12] for start in found)
    assert starts(service, therapist_id=therapist.id) == found


def test_a_booking_takes_its_time_out_and_a_single_start_agrees(clinic):
    service, therapist, room = clinic
    make_booking(
        starts_at=AT[11], service=service, therapist=therapist, room=room, buffer_minutes=0
    )
    found = starts(service)
    assert AT[11] not in found and AT[10] in found and AT[12] in found
    for start in (AT[10], AT[11], AT[12]):
        offered = availability.is_offered(service, 60, start, now=NOW)
        assert offered is (start in found)


def test_a_lapsed_hold_blocks_nothing(clinic):
    service, therapist, room = clinic
    make_booking(
        starts_at=AT[11],
        service=service,
        therapist=therapist,
        room=room,
        status=BookingStatus.HELD,
        hold_expires_at=NOW - timedelta(minutes=1),
    )
    assert AT[11] in starts(service)


def test_an_earliest_start_and_the_notice_cut_the_front_of_the_day(clinic):
    service, _, _ = clinic
    assert starts(service, earliest_start=AT[12]) == [AT[12]]
    close = availability.slots_for(service, 60, THURSDAY, THURSDAY, now=AT[10])
    assert all(slot.start >= AT[10] + availability.policy().min_notice for slot in close.slots)


def test_a_service_the_therapist_does_not_offer_has_no_starts(clinic):
    other = make_service(durations=((60, 5500),))
    assert starts(other) == []


def test_the_window_reaches_a_day_either_side_in_the_clinics_zone(app):
    zone = availability.clinic_zone()
    start, end = availability.utc_window(THURSDAY, THURSDAY, zone)
    assert start.astimezone(zone).date() == date(2027, 3, 10)
    assert end.astimezone(zone).date() == date(2027, 3, 13)
