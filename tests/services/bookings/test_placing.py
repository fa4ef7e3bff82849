"""The rules a booking request passes before anything is re-checked or written
(``services.bookings.placing.checked_service``): each refusal names its field.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.extensions import db
from booking.models import BookingSource
from booking.services import bookings
from booking.services.bookings.placing import checked_service, load_service
from booking.services.errors import BookingError
from tests.support.builders import make_service
from tests.support.screens import fine

START = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def service_id(app):
    service = make_service(durations=((60, 5000),))
    db.session.commit()
    return service.id


def request(service_id, **changes):
    values = {
        "service_id": service_id,
        "minutes": 60,
        "start": START,
        "name": "Pat Smith",
        "email": "pat@example.org",
        "phone": "+447700900123",
        "screen": fine(),
    }
    values.update(changes)
    return bookings.BookingRequest(**values)


def test_a_request_for_an_offered_length_passes_with_its_price(service_id):
    service, option = checked_service(request(service_id))
    assert service.id == service_id
    assert (option.minutes, option.price_pence) == (60, 5000)


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"minutes": 45}, "unknown_duration", "minutes"),
        ({"email": ""}, "email_required", "email"),
        (
            {"override_reason": "Patient in pain, therapist agreed"},
            "override_not_allowed",
            "override_reason",
        ),
        (
            {"override_reason": "Patient in pain", "source": BookingSource.RECEPTION},
            "override_not_allowed",
            "override_reason",
        ),
    ],
)
def test_a_request_the_rules_refuse_names_its_field(service_id, changes, reason, field):
    with pytest.raises(BookingError) as refusal:
        checked_service(request(service_id, **changes))
    assert refusal.value.reason == reason
    assert refusal.value.field == field


def test_reception_may_leave_out_the_email(service_id):
    checked_service(request(service_id, email="", source=BookingSource.RECEPTION))


def test_an_unknown_treatment_is_not_available(service_id):
    with pytest.raises(BookingError) as unknown:
        checked_service(request(service_id + 1000))
    assert (unknown.value.reason, unknown.value.field) == ("unknown_service", "service")


def test_a_withdrawn_treatment_is_not_available(service_id):
    service = load_service(service_id)
    service.active = False
    db.session.commit()
    with pytest.raises(BookingError) as withdrawn:
        checked_service(request(service_id))
    assert (withdrawn.value.reason, withdrawn.value.field) == ("unknown_service", "service")
