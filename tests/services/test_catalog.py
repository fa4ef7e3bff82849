"""What the clinic offers, as the public pages read it: only active services and therapists,
in the admins' order, and the opening hours merged across therapists."""

from __future__ import annotations

from booking.services import catalog
from tests.support.builders import make_service, make_therapist


def test_only_active_services_in_display_order(app):
    second = make_service(name="Deep tissue", position=2)
    first = make_service(name="Gentle back", position=1)
    make_service(name="Retired", position=0, active=False)
    assert [s.id for s in catalog.active_services()] == [first.id, second.id]


def test_a_service_by_slug_is_found_only_while_active(app):
    service = make_service(slug="gentle-back", durations=((30, 3000), (60, 5500)))
    make_service(slug="retired", active=False)
    found = catalog.service_by_slug("gentle-back")
    assert found.id == service.id
    assert sorted(d.minutes for d in catalog.service_with_durations("gentle-back").durations) == [
        30,
        60,
    ]
    assert catalog.service_by_slug("retired") is None
    assert catalog.service_with_durations("retired") is None
    assert catalog.service_by_slug("no-such-service") is None


def test_only_active_therapists_in_display_order(app):
    second = make_therapist(position=2)
    first = make_therapist(position=1, slug="amira")
    make_therapist(position=0, slug="gone", active=False)
    assert [t.id for t in catalog.active_therapists()] == [first.id, second.id]
    assert catalog.therapist_by_slug("amira").id == first.id
    assert catalog.therapist_by_slug("gone") is None


def test_opening_hours_merge_every_active_therapists_hours(app):
    make_therapist(hours={0: [(9 * 60, 13 * 60)], 2: [(10 * 60, 12 * 60)]})
    make_therapist(hours={0: [(12 * 60, 17 * 60)], 2: [(14 * 60, 16 * 60)]})
    make_therapist(hours={6: [(9 * 60, 17 * 60)]}, active=False)
    days = {day.weekday: day.ranges for day in catalog.opening_hours()}
    assert list(days) == list(catalog.WEEKDAYS)
    assert days["Monday"] == ((9 * 60, 17 * 60),)
    assert days["Wednesday"] == ((10 * 60, 12 * 60), (14 * 60, 16 * 60))
    assert days["Sunday"] == ()  # only an inactive therapist works then
