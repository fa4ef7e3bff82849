"""Setting the clinic up: each change is checked, written and audited with what changed;
a refusal names the field and changes nothing; nothing bookings refer to is deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent
from booking.services import catalog_admin
from booking.services.audit import Actor
from booking.services.errors import CatalogError
from tests.support.builders import make_room, make_service, make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
ADMIN = Actor.system()


def audited(action: str) -> list[dict]:
    return list(
        db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_a_new_service_gets_a_free_slug_its_duration_and_an_event(app):
    make_service(slug="gentle-back", name="Gentle back")
    service = catalog_admin.create_service(
        name="Gentle back",
        summary="Slow and light.",
        minutes=45,
        price_pence=4500,
        actor=ADMIN,
        now=NOW,
    )
    assert service.slug == "gentle-back-2"
    assert [(d.minutes, d.price_pence) for d in service.durations] == [(45, 4500)]
    assert audited("service.created") == [{"service_id": service.id, "name": "Gentle back"}]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": " "}, "name"), ({"minutes": 3}, "minutes"), ({"price_pence": -1}, "price")],
)
def test_a_bad_service_is_refused_naming_the_field(app, fields, field):
    values = {"name": "Gentle", "summary": "Light.", "minutes": 45, "price_pence": 4500}
    with pytest.raises(CatalogError) as refused:
        catalog_admin.create_service(**(values | fields), actor=ADMIN, now=NOW)
    assert refused.value.field == field
    assert audited("service.created") == []


def test_an_update_records_only_what_changed(app):
    service = make_service(buffer_minutes=15)
    therapist = make_therapist()
    catalog_admin.update_service(
        service,
        name=service.name,
        summary="New words.",
        body="",
        suits="",
        buffer_minutes=20,
        deep_pressure=False,
        active=True,
        therapist_ids=[therapist.id],
        actor=ADMIN,
        now=NOW,
    )
    [event] = audited("service.updated")
    assert event["changed"] == {"buffer_minutes": [15, 20], "therapists": [[], [therapist.id]]}
    assert service.therapists == [therapist]


def test_lengths_are_added_once_and_a_bookable_service_keeps_its_last(app):
    service = make_service(durations=((60, 5500),))
    added = catalog_admin.add_duration(service, minutes=30, price_pence=3000, actor=ADMIN, now=NOW)
    with pytest.raises(CatalogError) as refused:
        catalog_admin.add_duration(service, minutes=30, price_pence=3500, actor=ADMIN, now=NOW)
    assert refused.value.reason == "duplicate_duration"
    catalog_admin.remove_duration(service, added.id, actor=ADMIN, now=NOW)
    [last] = service.durations
    with pytest.raises(CatalogError) as refused:
        catalog_admin.remove_duration(service, last.id, actor=ADMIN, now=NOW)
    assert refused.value.reason == "last_duration"
    assert [d.minutes for d in service.durations] == [60]


def test_weekly_hours_replace_the_week_and_record_the_days_changed(app):
    therapist = make_therapist(hours={0: [(9 * 60, 17 * 60)]})
    catalog_admin.set_weekly_hours(
        therapist, {0: "09:00-13:00", 2: "10:00-16:00"}, actor=ADMIN, now=NOW
    )
    texts = catalog_admin.week_texts(therapist)
    assert (texts[0], texts[1], texts[2]) == ("09:00-13:00", "", "10:00-16:00")
    [event] = audited("therapist.hours_changed")
    assert event["changed"] == {
        "Monday": ["09:00-17:00", "09:00-13:00"],
        "Wednesday": ["", "10:00-16:00"],
    }


def test_a_bad_day_changes_nothing(app):
    therapist = make_therapist(hours={0: [(9 * 60, 17 * 60)]})
    with pytest.raises(CatalogError) as refused:
        catalog_admin.set_weekly_hours(therapist, {0: "9 to 5"}, actor=ADMIN, now=NOW)
    assert refused.value.field == "day_0"
    assert catalog_admin.week_texts(therapist)[0] == "09:00-17:00"


def test_rooms_are_renamed_and_taken_out_of_use_never_deleted(app):
    room = catalog_admin.create_room(name="Garden room", actor=ADMIN, now=NOW)
    make_room(slug="other")
    catalog_admin.rename_room(room, name="Quiet room", actor=ADMIN, now=NOW)
    catalog_admin.set_room_active(room, False, actor=ADMIN, now=NOW)
    assert (room.slug, room.name, room.active) == ("garden-room", "Quiet room", False)
    assert audited("room.renamed") == [
        {"room_id": room.id, "old": "Garden room", "new": "Quiet room"}
    ]
    assert len(audited("room.deactivated")) == 1
