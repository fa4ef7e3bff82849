"""Manage links: a minted token opens its booking, is stored only as a hash, and stops
working once revoked; anything else opens nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from booking.extensions import db
from booking.models import ManageToken
from booking.services import manage_links
from booking.tokens import new_token, token_hash
from tests.support.builders import make_booking

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)


def test_a_minted_token_opens_its_booking_and_is_stored_as_a_hash(app):
    booking = make_booking(starts_at=START)
    token = manage_links.mint(booking, now=NOW)
    db.session.commit()
    assert manage_links.find_booking(token) == booking
    stored = db.session.scalars(select(ManageToken.token_hash)).one()
    assert stored == token_hash(token)
    assert token not in stored


def test_each_booking_opens_only_with_its_own_token(app):
    first = make_booking(starts_at=START)
    second = make_booking(starts_at=START)
    first_token = manage_links.mint(first, now=NOW)
    second_token = manage_links.mint(second, now=NOW)
    db.session.commit()
    assert manage_links.find_booking(first_token) == first
    assert manage_links.find_booking(second_token) == second


def test_unknown_and_malformed_tokens_open_nothing(app):
    make_booking(starts_at=START)
    assert manage_links.find_booking(new_token()) is None
    assert manage_links.find_booking("") is None
    assert manage_links.find_booking("' OR 1=1 --") is None


def test_revoking_ends_every_link_of_the_booking_and_no_other(app):
    booking = make_booking(starts_at=START)
    other = make_booking(starts_at=START)
    old, new = manage_links.mint(booking, now=NOW), manage_links.mint(booking, now=NOW)
    kept = manage_links.mint(other, now=NOW)
    db.session.commit()
    assert manage_links.revoke_all(booking, now=NOW) == 2
    db.session.commit()
    assert manage_links.find_booking(old) is None
    assert manage_links.find_booking(new) is None
    assert manage_links.find_booking(kept) == other
    assert manage_links.revoke_all(booking, now=NOW) == 0  # nothing live is left
