"""The audit trail: who acted, on which booking, what was done; written in the caller's
transaction, so a rolled-back change leaves no event behind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from booking.extensions import db
from booking.models import ActorKind, AuditEvent
from booking.services import audit
from booking.services.audit import Actor
from tests.support.auth import make_staff
from tests.support.builders import make_booking

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def test_an_event_names_the_actor_the_booking_and_the_details(app):
    booking = make_booking(starts_at=datetime(2027, 3, 11, 9, 0, tzinfo=UTC))
    desk = make_staff()
    audit.record(
        "booking.cancelled", actor=Actor.staff(desk.id), now=NOW, booking=booking, why="ill"
    )
    db.session.commit()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.cancelled")
    ).one()
    assert (event.action, event.actor_kind, event.staff_user_id) == (
        "booking.cancelled",
        ActorKind.STAFF,
        desk.id,
    )
    assert event.booking_id == booking.id
    assert event.occurred_at == NOW
    assert event.details == {"why": "ill"}


def test_patients_and_the_system_act_without_a_staff_id(app):
    audit.record("waitlist.joined", actor=Actor.patient(), now=NOW)
    audit.record("retention.purged", actor=Actor.system(), now=NOW)
    db.session.commit()
    rows = db.session.execute(
        select(AuditEvent.actor_kind, AuditEvent.staff_user_id, AuditEvent.booking_id).order_by(
            AuditEvent.id
        )
    ).all()
    assert rows == [(ActorKind.PATIENT, None, None), (ActorKind.SYSTEM, None, None)]


def test_a_rolled_back_change_leaves_no_event(app):
    audit.record("booking.cancelled", actor=Actor.system(), now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
