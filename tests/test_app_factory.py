"""The application factory: layered settings and the refusal of the development key."""

import pytest
from cryptography.fernet import Fernet

from booking import ConfigurationError, create_app
from booking.config import DEVELOPMENT_SECRET_KEY


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    # Production needs it (tests/security/test_links.py proves the refusal without it).
    monkeypatch.setenv("FLASK_PUBLIC_BASE_URL", "https://book.clinic.example")
    return tmp_path


def test_settings_layer_defaults_then_instance_file_then_environment_then_mapping(
    instance_dir, monkeypatch
):
    (instance_dir / "config.py").write_text(
        "CLINIC_NAME = 'From the instance file'\n"
        "BOOKING_SLOT_MINUTES = 20\n"
        "CLINIC_PHONE = 'instance phone'\n"
    )
    monkeypatch.setenv("FLASK_CLINIC_NAME", "From the environment")
    monkeypatch.setenv("FLASK_CLINIC_EMAIL", "env@clinic.example")
    monkeypatch.setenv("FLASK_BOOKING_HORIZON_DAYS", "30")

    app = create_app({"TESTING": True, "CLINIC_EMAIL": "mapping@clinic.example"})

    assert app.config["BOOKING_MIN_NOTICE_MINUTES"] == 120  # default
    assert app.config["BOOKING_SLOT_MINUTES"] == 20  # instance file
    assert app.config["CLINIC_PHONE"] == "instance phone"
    assert app.config["CLINIC_NAME"] == "From the environment"  # env beats instance
    assert app.config["BOOKING_HORIZON_DAYS"] == 30  # env values are parsed as JSON
    assert app.config["CLINIC_EMAIL"] == "mapping@clinic.example"  # the mapping beats env


def test_database_uri_comes_from_the_environment(instance_dir, monkeypatch, tmp_path):
    uri = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", uri)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == uri


def test_default_database_is_a_sqlite_file_in_the_instance_folder(instance_dir, monkeypatch):
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_dir / 'booking.sqlite3'}"


def test_refuses_to_start_in_production_with_the_development_key(instance_dir):
    with pytest.raises(ConfigurationError, match="FLASK_SECRET_KEY"):
        create_app()


def test_refuses_a_short_secret_key(instance_dir, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        create_app()


def test_starts_in_production_with_a_real_key(instance_dir, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("FLASK_DATA_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    app = create_app()
    assert not app.testing and not app.debug


def test_refuses_to_start_with_a_clinic_policy_that_cannot_be_used(instance_dir, monkeypatch):
    monkeypatch.setenv("FLASK_CLINIC_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigurationError, match="CLINIC_TIMEZONE"):
        create_app({"TESTING": True})


def test_development_key_is_allowed_when_debugging(instance_dir, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY


def test_a_key_in_the_instance_file_is_used(instance_dir, monkeypatch):
    monkeypatch.setenv("FLASK_DATA_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    (instance_dir / "config.py").write_text("SECRET_KEY = '" + "k" * 64 + "'\n")
    app = create_app()
    assert app.config["SECRET_KEY"] == "k" * 64
