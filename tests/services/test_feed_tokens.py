"""Calendar feed URLs: minted for a therapist or the whole clinic, stored only as a hash,
audited, and revoked once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, FeedToken
from booking.services import feed_tokens
from booking.services.audit import Actor
from booking.services.errors import CatalogError
from booking.tokens import token_hash
from tests.support.builders import make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
ADMIN = Actor.system()


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_feed_is_stored_as_a_hash_and_its_token_shown_once(app):
    therapist = make_therapist()
    row, token = feed_tokens.create(
        therapist_id=therapist.id, label="  Phone calendar ", actor=ADMIN, now=NOW
    )
    assert (row.therapist_id, row.label, row.created_at) == (therapist.id, "Phone calendar", NOW)
    assert db.session.scalars(select(FeedToken.token_hash)).one() == token_hash(token)
    assert actions() == ["feed_token.created"]


def test_a_clinic_wide_feed_names_no_therapist(app):
    row, _ = feed_tokens.create(therapist_id=None, label="Front desk", actor=ADMIN, now=NOW)
    assert row.therapist_id is None


def test_an_unknown_therapist_gets_no_feed(app):
    with pytest.raises(CatalogError) as refused:
        feed_tokens.create(therapist_id=999, label="x", actor=ADMIN, now=NOW)
    assert (refused.value.reason, refused.value.field) == ("unknown_therapist", "therapist")
    assert db.session.scalars(select(FeedToken)).all() == []


def test_revoking_twice_changes_nothing_the_second_time(app):
    row, _ = feed_tokens.create(therapist_id=None, label="Front desk", actor=ADMIN, now=NOW)
    feed_tokens.revoke(row, actor=ADMIN, now=NOW)
    later = datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
    feed_tokens.revoke(row, actor=ADMIN, now=later)
    assert row.revoked_at == NOW
    assert actions() == ["feed_token.created", "feed_token.revoked"]
