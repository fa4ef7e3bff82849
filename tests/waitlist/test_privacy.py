"""Export and erasure reach the waitlist: entries hold contact details and screen answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    OfferState,
    OutboxMessage,
    WaitlistEntry,
    WaitlistToken,
)
from booking.services import privacy
from booking.services.audit import Actor
from booking.services.waitlist import desk, entries
from booking.services.waitlist.offering import offer_free_times
from tests.builders import make_room, make_service, make_therapist
from tests.waitlist.helpers import NOW, ONE_SLOT, THURSDAY, THURSDAY_10, join, later, offers

REASON = "Waiting 1 asked us to stop calling"


@pytest.fixture
def waiting(app):
    """Waiting 1 holds the offer of Thursday 10:00 and a second, removed entry; Waiting 2
    waits for the same time behind them."""
    service = make_service(durations=((60, 5000),), buffer_minutes=15)
    make_therapist(services=[service], hours=ONE_SLOT)
    make_room()
    db.session.commit()
    first, token = join(service.id, 1, now=NOW - timedelta(days=1))
    next_week = THURSDAY + timedelta(days=7)
    removed, _ = join(service.id, 1, first_day=next_week, last_day=next_week)
    desk.remove(removed, REASON, actor=Actor.staff(None), now=NOW)
    second, _ = join(service.id, 2)
    assert offer_free_times(now=later(1)) == 1
    patient_id = db.session.get(WaitlistEntry, first).patient_id
    return {
        "patient": patient_id,
        "first": first,
        "removed": removed,
        "second": second,
        "token": token,
    }


def test_the_export_carries_the_patients_waitlist_entries_with_their_answers(waiting):
    data = privacy.export_patient(waiting["patient"], actor=Actor.system(), now=later(2))
    assert json.loads(json.dumps(data)) == data
    places = data["waitlist"]
    assert [p["contact"]["email"] for p in places] == ["waiting1@example.org"] * 2
    assert all(p["screen_answers"] for p in places)
    assert [o["state"] for o in places[0]["offers"]] == ["open"]
    assert places[1]["end_reason"] == "removed by reception"


def test_erasure_ends_the_entries_gives_the_kept_time_to_the_next_and_blanks_them(waiting):
    report = privacy.erase_patient(waiting["patient"], actor=Actor.system(), now=later(2))
    assert (report.waitlist_entries_erased, report.waitlist_offers_ended) == (2, 1)

    for entry_id in (waiting["first"], waiting["removed"]):
        entry = db.session.get(WaitlistEntry, entry_id)
        assert entry.ended_at is not None
        assert (entry.contact_name, entry.contact_email, entry.contact_phone) == ("erased",) * 3
        assert entry.screen_answers is None and entry.screened_at is None
    assert db.session.get(WaitlistEntry, waiting["first"]).end_reason == "erased"
    # The entry's link is dead, like any other miss.
    assert entries.find_by_token(waiting["token"], now=later(3)) is None
    assert not db.session.scalar(
        select(func.count(WaitlistToken.id)).where(
            WaitlistToken.entry_id.in_([waiting["first"], waiting["removed"]]),
            WaitlistToken.revoked_at.is_(None),
        )
    )
    # Reception's reason named the patient: it goes; the audit trail keeps the action.
    [removed] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "waitlist.removed")
    )
    assert removed.details["reason"] == "erased"
    # No email to them remains addressed to them, nor any that would still be sent.
    assert not db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.to_address == "waiting1@example.org"
        )
    )
    # The offer ended and its reservation went: the time is kept for nobody until the
    # next pass offers it to the next patient waiting.
    assert [o.entry_id for o in offers(state=OfferState.WITHDRAWN)] == [waiting["first"]]
    assert db.session.scalar(select(Booking).where(Booking.status == BookingStatus.OFFERED)) is None
    assert offer_free_times(now=later(3)) == 1
    [offer] = offers()
    assert (offer.entry_id, offer.starts_at) == (waiting["second"], THURSDAY_10)


def test_erasing_twice_leaves_the_waitlist_as_the_first_time_did(waiting):
    privacy.erase_patient(waiting["patient"], actor=Actor.system(), now=later(2))
    again = privacy.erase_patient(waiting["patient"], actor=Actor.system(), now=later(3))
    assert again.waitlist_offers_ended == 0
    assert db.session.get(WaitlistEntry, waiting["first"]).ended_at == later(2)
