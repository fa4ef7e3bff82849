"""Caps and rate limits count a person once, however the address is typed.

``Sam+1@Example.org`` and ``sam@example.org`` are one mailbox: the cap on future bookings
and holds, and the per-email submission limit, add them up. Mail still goes to the address
as typed, tag and all.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking import validation
from booking.extensions import db
from booking.models import BookingStatus, OutboxMessage
from tests.conftest import DEFAULT_NOW
from tests.notify.helpers import book, make_clinic
from tests.screens import severe
from tests.security.test_input_limits import with_draft
from tests.security.test_limits import (
    assert_limited,
    attempt,
    details,
    existing,
    frozen_clock,  # noqa: F401 - autouse
    limited,  # noqa: F401 - fixture
    post_json,
)
from tests.web.test_api_bookings import valid

START = DEFAULT_NOW.replace(hour=10) + timedelta(days=6)
VARIANTS = ["sam+1@example.org", "Sam+spa@Example.org", "SAM@example.org", "sam+x+y@EXAMPLE.ORG"]


def test_the_canonical_form_drops_case_and_tags_only():
    for variant in VARIANTS:
        assert validation.canonical_email(variant) == "sam@example.org"
    assert validation.canonical_email("sam.smith@example.org") == "sam.smith@example.org"
    assert validation.canonical_email("+only@example.org") == "+only@example.org"


def test_four_bookings_under_tagged_addresses_fill_the_cap(app):
    for n, variant in enumerate(VARIANTS):
        existing(1, email=variant.lower(), days=3 + n)
    assert attempt(email="sam+fifth@example.org") == "too_many"
    assert attempt(email="sam@example.org") == "too_many"


def test_holds_under_tagged_addresses_fill_the_hold_cap(app):
    existing(1, status=BookingStatus.HELD, email="sam+a@example.org")
    existing(1, status=BookingStatus.HELD, email="sam+b@example.org", days=4)
    assert attempt(email="sam+c@example.org", screen=severe()) == "too_many"


def test_a_different_person_is_not_counted(app):
    existing(4, email="sam@example.org")
    # LIKE's wildcards in someone else's address match nothing of Sam's.
    for other in ("s_m@example.org", "sa%@example.org", "samuel@example.org", "sam@example.com"):
        assert attempt(email=other) != "too_many", other


def test_mail_goes_to_the_address_as_typed(app):
    existing(1, email="sam@example.org")
    clinic = make_clinic()
    book(clinic, START, now=DEFAULT_NOW, email="Sam+Spa@example.org")
    db.session.rollback()
    (message,) = db.session.scalars(select(OutboxMessage))
    assert message.to_address == "Sam+Spa@example.org"


def test_the_per_email_rate_limit_adds_tagged_addresses_up(limited):  # noqa: F811
    app = limited()
    for n, variant in enumerate(VARIANTS[:2]):
        client = app.test_client()
        with_draft(client, **details(variant))
        response = client.post("/book/review", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert response.status_code != 429
    client = app.test_client()
    refused = post_json(
        client,
        "/api/v1/bookings",
        valid(email="SAM+third@example.org"),
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert_limited(refused, json_body=True)
