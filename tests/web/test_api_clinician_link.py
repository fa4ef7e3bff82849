"""``POST /api/v1/bookings/<token>/clinician-link``: the manage page's "ask your GP or
physio" over JSON, with the same verb and refusals; a refused request changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import BookingStatus, ClinicianLink, MessageKind, OutboxMessage
from tests.security import booking_with_token
from tests.support.database import DEFAULT_NOW
from tests.support.misses import without_reference
from tests.web.test_api_bookings import assert_error, get, post

API = "/api/v1/bookings"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def held(app):
    booking, token = booking_with_token(
        status=BookingStatus.HELD, hold_expires_at=DEFAULT_NOW + timedelta(days=1)
    )
    return booking, token


def sent() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count(ClinicianLink.id))),
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == MessageKind.CLINICIAN_REQUEST
            )
        ),
    )


def test_sending_the_link_answers_201_and_queues_the_email(client, held):
    booking, token = held
    response = post(
        client,
        f"{API}/{token}/clinician-link",
        {"name": "Dr Amara Patel", "email": "A.Patel@Surgery.example"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "a.patel@surgery.example" and body["name"] == "Dr Amara Patel"
    assert body["booking"]["status"] == "held"
    assert body["works_until"].startswith(booking.hold_expires_at.date().isoformat())
    assert response.headers["Cache-Control"] == "no-store"
    assert sent() == (1, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "email": "gp@example.org"}, "name"),
        ({"name": "Dr Patel", "email": "not an address"}, "email"),
        ({"name": "Dr Patel"}, "email"),
        ({"name": 7, "email": "gp@example.org"}, "name"),
    ],
)
def test_a_bad_body_is_400_naming_the_field(client, held, body, field):
    _, token = held
    assert_error(post(client, f"{API}/{token}/clinician-link", body), 400, field)
    assert sent() == (0, 0)


def test_a_booking_not_held_is_409(client, app):
    _, token = booking_with_token()
    error = assert_error(
        post(client, f"{API}/{token}/clinician-link", {"name": "Dr P", "email": "gp@example.org"}),
        409,
    )
    assert error["reason"] == "not_held"
    assert sent() == (0, 0)


def test_an_unknown_token_is_the_same_404_as_any_miss(client, held):
    response = post(client, f"{API}/{'A' * 32}/clinician-link", {})
    assert response.status_code == 404
    assert without_reference(response) == without_reference(get(client, "/api/v1/no-such"))


def test_the_body_must_be_json(client, held):
    _, token = held
    response = post(client, f"{API}/{token}/clinician-link", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert sent() == (0, 0)
