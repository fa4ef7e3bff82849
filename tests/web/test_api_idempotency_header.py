"""The ``Idempotency-Key`` header: a retry with the same key returns the one booking."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking
from tests.support.database import DEFAULT_NOW
from tests.web.test_api_bookings import API, valid


def post(client, body: dict, **headers):
    with clock.frozen(DEFAULT_NOW):
        return client.post(
            API, data=json.dumps(body), content_type="application/json", headers=headers
        )


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_a_retry_with_the_same_idempotency_key_header_returns_the_one_booking(client, demo):
    before = count()
    first = post(client, valid(), **{"Idempotency-Key": "header-key-0001"})
    assert first.status_code == 201
    again = post(client, valid(), **{"Idempotency-Key": "header-key-0001"})
    assert again.status_code == 200
    assert again.get_json()["booking"]["public_id"] == first.get_json()["booking"]["public_id"]
    assert count() == before + 1


def test_the_header_and_the_body_key_are_the_same_key(client, demo):
    first = post(client, valid(idempotency_key="shared-key-0001"))
    again = post(client, valid(), **{"Idempotency-Key": "shared-key-0001"})
    assert again.status_code == 200
    assert again.get_json()["booking"]["public_id"] == first.get_json()["booking"]["public_id"]


def test_a_malformed_or_contradicting_header_is_refused_and_changes_nothing(client, demo):
    before = count()
    bad = post(client, valid(), **{"Idempotency-Key": "no spaces allowed here"})
    assert bad.status_code == 400
    assert "idempotency_key" in bad.get_json()["error"]["fields"]
    clash = post(
        client, valid(idempotency_key="body-key-00001"), **{"Idempotency-Key": "head-key-0001"}
    )
    assert clash.status_code == 400
    assert count() == before
