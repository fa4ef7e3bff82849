"""Health data is encrypted at rest: raw columns hold only ciphertext; a wrong key gives a
clear error; keys come from settings (rotation: tests/services/test_key_rotation.py)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from booking import ConfigurationError, create_app, crypto
from booking.extensions import db
from booking.models import Intake, StaffRole
from tests.support.auth import make_staff, sign_in_fully
from tests.support.encryption import (
    CLINICIAN,
    KEY_A,
    KEY_B,
    KEY_C,
    RESTRICTIONS,
    held_and_cleared,
    keyed_apps,
    raw,
    snapshot,
)
from tests.support.screens import severe

# ---- at rest --------------------------------------------------------------------------------


def test_raw_columns_hold_no_plaintext(app):
    booking_id, clearance_id = held_and_cleared()
    answers = raw("SELECT answers FROM intakes WHERE booking_id = :id", id=booking_id)[0]
    row = raw(
        "SELECT clinician_name, restrictions, restriction_ticks, screen_answers "
        "FROM clearances WHERE id = :id",
        id=clearance_id,
    )
    for value in (answers, *row):
        assert isinstance(value, str)
        assert value.startswith("gAAAAA"), "not a Fernet token"
        for plaintext in ("pain_score", "lower_back", "canary", "avoid_area", "Canary"):
            assert plaintext not in value


def test_values_round_trip_through_the_models(app):
    held_and_cleared()
    db.session.expire_all()
    values = snapshot()
    assert values["answers"] == severe().to_data()
    assert values["screen_answers"] == severe().to_data()
    assert values["clinician_name"] == CLINICIAN
    assert values["restrictions"] == RESTRICTIONS
    assert values["restriction_ticks"] == ["avoid_area"]


def test_none_is_stored_as_sql_null_so_the_purge_still_works(app):
    booking_id, _ = held_and_cleared()
    intake = db.session.scalars(select(Intake)).one()
    intake.answers = None
    db.session.commit()
    assert raw("SELECT answers FROM intakes WHERE booking_id = :id", id=booking_id)[0] is None
    assert db.session.scalar(select(Intake.id).where(Intake.answers.is_(None))) == intake.id


def test_same_value_encrypts_differently_each_time(app):
    cipher = crypto.cipher()
    assert cipher.encrypt("same") != cipher.encrypt("same")


# ---- keys -----------------------------------------------------------------------------------


@pytest.fixture
def keyed(make_app):
    yield from keyed_apps(make_app)


def test_a_wrong_key_gives_a_clear_error_page_without_data(keyed, caplog):
    with keyed(KEY_A).app_context() as context:
        booking_id, _ = held_and_cleared()
        app_a = context.app
        make_staff(StaffRole.ADMIN)
        client = app_a.test_client()
        assert sign_in_fully(client, "admin@clinic.example").status_code == 303
        cookie = client.get_cookie("session", domain="clinic.test").value
        db.session.remove()
    wrong = keyed(KEY_C)
    with wrong.app_context():
        other = wrong.test_client()
        other.set_cookie("session", cookie, domain="clinic.test")
        patient_id = db.session.scalar(
            text("SELECT patient_id FROM bookings WHERE id = :id"), {"id": booking_id}
        )
        response = other.get(f"/reception/admin/patients/{patient_id}/export.json")
        assert response.status_code == 503
        assert 'class="site-header"' in response.text  # the friendly page, not a stack trace
        # The operator's log says what is wrong; the page shows no data.
        assert "cannot be decrypted with the configured DATA_ENCRYPTION_KEYS" in caplog.text
        for leaked in ("Canary", "canary", "pain_score", "gAAAAA", "Traceback"):
            assert leaked not in response.text
        db.session.rollback()


def test_keys_may_come_as_a_comma_separated_string():
    assert crypto.parse_keys(f" {KEY_A}, {KEY_B} ,") == [KEY_A, KEY_B]
    assert crypto.parse_keys([KEY_A]) == [KEY_A]
    assert crypto.parse_keys(None) == []


def test_keys_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_DATA_ENCRYPTION_KEYS", f"{KEY_B},{KEY_A}")
    monkeypatch.setenv("FLASK_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("FLASK_PUBLIC_BASE_URL", "https://book.clinic.example")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app()
    with app.app_context():
        token = Fernet(KEY_A.encode()).encrypt(b"old").decode()
        assert crypto.cipher().decrypt(token) == "old"
        assert Fernet(KEY_B.encode()).decrypt(crypto.cipher().encrypt("new").encode()) == b"new"


def test_production_refuses_to_start_without_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_SECRET_KEY", "s" * 64)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("FLASK_DATA_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(ConfigurationError, match="DATA_ENCRYPTION_KEYS"):
        create_app()


def test_a_malformed_key_is_refused_without_echoing_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("FLASK_DATA_ENCRYPTION_KEYS", "not-a-real-key-material")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="not a valid Fernet key") as refused:
        create_app()
    assert "not-a-real-key-material" not in str(refused.value)


def test_testing_derives_a_development_key_from_the_secret_key(caplog):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert "development key" in caplog.text
    with app.app_context():
        expected = Fernet(crypto.development_key("x" * 40))
        assert expected.decrypt(crypto.cipher().encrypt("v").encode()) == b"v"


def test_screening_reads_clearances_in_python_only():
    # Encrypted columns cannot be compared in SQL: covering_clearance must not try.
    import inspect

    from booking.services import screening

    source = inspect.getsource(screening._valid_clearances)
    where = source[source.index(".where(") : source.index(".order_by(")]
    assert "screen_answers" not in where
    assert "restriction" not in where
    assert "clinician_name" not in where
