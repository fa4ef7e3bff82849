"""Health data is encrypted at rest: raw columns hold only ciphertext; keys rotate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from booking import ConfigurationError, create_app, crypto
from booking.extensions import db
from booking.models import Clearance, ClearanceOutcome, ClinicianKind, Intake, StaffRole
from booking.services import bookings, clearance, staff_totp
from booking.services.audit import Actor
from tests.support.auth import make_staff, sign_in_fully
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.database import empty_database
from tests.support.screens import severe

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)
FRIDAY_10 = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
CLINICIAN = "Dr Canary-Clinician"
RESTRICTIONS = "Avoid the canary-restriction shoulder"
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


def held_and_cleared() -> tuple[int, int]:
    """A held booking with screen answers, cleared with restrictions; returns their ids."""
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    make_room()
    db.session.commit()
    booking = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=FRIDAY_10,
            therapist_id=therapist.id,
            name="Pat Smith",
            email="pat@example.org",
            phone="+447700900123",
            screen=severe(),
        ),
        actor=Actor.patient(),
        now=NOW,
    ).booking
    result = clearance.attest(
        booking.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            clinician_name=CLINICIAN,
            clinician_kind=ClinicianKind.GP,
            consultation_date=date(2027, 3, 8),
            restriction_ticks=("avoid_area",),
            restrictions=RESTRICTIONS,
            truthful=True,
        ),
        actor=Actor.patient(),
        now=NOW + timedelta(hours=1),
    )
    return booking.id, result.clearance.id


def raw(sql: str, **params):
    return db.session.execute(text(sql), params).one()


def snapshot() -> dict:
    """Every encrypted value, decrypted through the models."""
    intake = db.session.scalars(select(Intake)).one()
    found = db.session.scalars(select(Clearance)).one()
    return {
        "answers": intake.answers,
        "clinician_name": found.clinician_name,
        "restrictions": found.restrictions,
        "restriction_ticks": found.restriction_ticks,
        "screen_answers": found.screen_answers,
    }


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
    """Build apps on the test database with given keys; empty it afterwards."""
    apps = []

    def build(*keys):
        app = make_app(DATA_ENCRYPTION_KEYS=list(keys))
        apps.append(app)
        return app

    yield build
    with apps[0].app_context():
        db.session.rollback()
        empty_database()


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
        from booking.models import StaffUser

        assert db.session.scalars(select(StaffUser)).one().totp_secret == secret


def test_rotation_is_safe_to_run_twice(keyed):
    with keyed(KEY_A).app_context():
        held_and_cleared()
        db.session.remove()
    with keyed(KEY_B, KEY_A).app_context():
        first = crypto.rotate_all()
        second = crypto.rotate_all(batch_size=1)
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
