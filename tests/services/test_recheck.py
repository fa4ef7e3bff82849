"""The booking verbs' re-check of one start: free or not by the picker's own rules, the
nearest free times instead when it is taken, and what staff may override (hours) and may
not (another booking of the therapist)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.extensions import db
from booking.services import recheck
from tests.support.builders import make_booking, make_room, make_service, make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday; London is on GMT in March
AT = {h: datetime(2027, 3, 11, h, 0, tzinfo=UTC) for h in range(8, 20)}
MORNING = {3: [(10 * 60, 13 * 60)]}  # Thursday 10:00-13:00


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5500),), buffer_minutes=0)
    therapist = make_therapist(services=[service], hours=MORNING)
    room = make_room()
    db.session.commit()
    return service, therapist, room


def check(service, start, *, therapist_id=None, override=False):
    return recheck.at(
        service.id,
        service.buffer_minutes,
        60,
        start,
        now=NOW,
        therapist_id=therapist_id,
        earliest_start=None,
        override=override,
    )


def test_a_free_start_is_found_with_its_therapist(clinic):
    service, therapist, _ = clinic
    found = check(service, AT[11])
    assert found.slot is not None
    assert (found.slot.start, found.slot.end) == (AT[11], AT[12])
    assert therapist.id in found.slot.therapist_ids


def test_a_taken_start_offers_the_nearest_free_ones(clinic):
    service, therapist, room = clinic
    make_booking(
        starts_at=AT[11], service=service, therapist=therapist, room=room, buffer_minutes=0
    )
    found = check(service, AT[11])
    assert found.slot is None
    alternatives = [slot.start for slot in found.alternatives(limit=2)]
    assert alternatives == [AT[10], AT[12]]  # an hour either side, the earlier first


def test_alternatives_that_overlap_a_lost_slot_are_left_out(clinic):
    service, _, _ = clinic
    found = check(service, AT[11])
    assert found.slot is not None
    left = [slot.start for slot in found.alternatives(limit=20, lost_to_overlap=True)]
    assert left == [AT[10], AT[12]]  # 10:15 to 11:45 may be held by whoever won


def test_outside_the_hours_only_staff_may_book(clinic):
    service, therapist, _ = clinic
    assert check(service, AT[15], therapist_id=therapist.id).slot is None
    forced = check(service, AT[15], therapist_id=therapist.id, override=True)
    assert forced.slot is not None and forced.slot.therapist_ids == (therapist.id,)


def test_staff_cannot_override_another_booking_of_the_therapist(clinic):
    service, therapist, room = clinic
    make_booking(
        starts_at=AT[15], service=service, therapist=therapist, room=room, buffer_minutes=0
    )
    assert check(service, AT[15], therapist_id=therapist.id, override=True).slot is None
