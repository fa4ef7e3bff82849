"""Key rotation: every encrypted value moves to the newest key, reruns change nothing, and
a value no configured key opens stops the rotation before anything is changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from booking import crypto
from booking.extensions import db
from booking.models import StaffRole, StaffUser
from booking.services import key_rotation, staff_totp
from tests.support.auth import make_staff
from tests.support.encryption import (
    CLINICIAN,
    KEY_A,
    KEY_B,
    held_and_cleared,
    keyed_apps,
    snapshot,
)


@pytest.fixture
def keyed(make_app):
    yield from keyed_apps(make_app)


def test_every_encrypted_column_is_rotated():
    columns = key_rotation.encrypted_columns()
    assert ("intakes", "answers") in columns
    assert ("clearances", "clinician_name") in columns
    assert ("staff_users", "totp_secret") in columns
    assert columns == sorted(set(columns), key=columns.index)  # each once


def test_rotation_moves_every_value_to_the_newest_key(keyed):
    with keyed(KEY_A).app_context():
        held_and_cleared()
        desk = make_staff(StaffRole.RECEPTION)
        secret = staff_totp.enrolment_secret(desk)
        before = snapshot()
        db.session.remove()
    with keyed(KEY_B).app_context():
        with pytest.raises(crypto.DataKeyError):
            snapshot()
        db.session.rollback()
    rotating = keyed(KEY_B, KEY_A)
    with rotating.app_context():
        assert snapshot() == before  # both keys read during the change-over
        result = rotating.test_cli_runner().invoke(args=["booking", "rotate-data-key"])
        assert result.exit_code == 0, result.output
        assert "intakes.answers: 1 value(s) re-encrypted" in result.output
        assert "staff_users.totp_secret: 1 value(s) re-encrypted" in result.output
        db.session.remove()
    with keyed(KEY_B).app_context():
        assert snapshot() == before
        assert db.session.scalar(text("SELECT count(*) FROM staff_users")) == 1
        assert db.session.scalars(select(StaffUser)).one().totp_secret == secret


def test_rotation_is_safe_to_run_twice(keyed):
    with keyed(KEY_A).app_context():
        held_and_cleared()
        db.session.remove()
    with keyed(KEY_B, KEY_A).app_context():
        first = key_rotation.rotate_all()
        second = key_rotation.rotate_all(batch_size=1)
        assert first == second
        assert snapshot()["clinician_name"] == CLINICIAN
        db.session.remove()


def test_rotation_with_a_missing_key_stops_with_a_clear_message(keyed):
    with keyed(KEY_A).app_context():
        held_and_cleared()
        db.session.remove()
    app = keyed(KEY_B)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["booking", "rotate-data-key"])
        assert result.exit_code != 0
        assert "cannot be decrypted with any configured key" in result.output
        db.session.rollback()
