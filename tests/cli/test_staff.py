"""``flask booking create-staff``, ``staff-password`` and ``staff-deactivate``."""

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, StaffRole, StaffUser
from booking.services import staff as staff_service
from tests.support.builders import make_therapist

PASSWORD = "a long enough password"


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.delenv("BOOKING_STAFF_PASSWORD", raising=False)
    runner = app.test_cli_runner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(args=["booking", *args], input=input, env=env)

    return invoke


def _staff(email):
    db.session.expire_all()
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def test_create_staff_prompts_twice_and_stores_an_argon2id_hash(run):
    result = run(
        "create-staff",
        "--email",
        "Owner@Clinic.Example",
        "--name",
        "Olu Owner",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    staff = _staff("owner@clinic.example")
    assert staff.role is StaffRole.ADMIN
    assert staff.password_hash.startswith("$argon2id$")
    assert PASSWORD not in staff.password_hash
    assert staff.active
    assert db.session.scalar(select(AuditEvent.action)) == "staff.created"


def test_create_staff_reads_the_password_from_the_environment(run):
    result = run(
        "create-staff",
        "--email",
        "desk@clinic.example",
        "--name",
        "Dee Desk",
        "--role",
        "reception",
        env={"BOOKING_STAFF_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    staff = _staff("desk@clinic.example")
    assert staff.role is StaffRole.RECEPTION
    assert staff_service.authenticate("desk@clinic.example", PASSWORD, now=staff.created_at)


def test_create_staff_refuses_a_short_password(run):
    result = run(
        "create-staff",
        "--email",
        "a@clinic.example",
        "--name",
        "Ann",
        env={"BOOKING_STAFF_PASSWORD": "elevenchars"},
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _staff("a@clinic.example") is None


def test_create_staff_refuses_a_duplicate_email_in_any_case(run):
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    assert (
        run("create-staff", "--email", "a@clinic.example", "--name", "Ann", env=env).exit_code == 0
    )
    result = run("create-staff", "--email", "A@Clinic.Example", "--name", "Ann Again", env=env)
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db.session.scalar(select(StaffUser.name)) == "Ann"


def test_create_therapist_account_links_to_the_therapist(app, run):
    therapist = make_therapist(slug="amira-hassan", name="Amira Hassan")
    db.session.commit()
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    result = run(
        "create-staff",
        "--email",
        "amira@clinic.example",
        "--name",
        "Amira Hassan",
        "--role",
        "therapist",
        "--therapist",
        "amira-hassan",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert _staff("amira@clinic.example").therapist_id == therapist.id


def test_therapist_account_needs_a_known_therapist(app, run):
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    missing = run(
        "create-staff",
        "--email",
        "t@clinic.example",
        "--name",
        "Tom",
        "--role",
        "therapist",
        env=env,
    )
    assert missing.exit_code != 0
    assert "must name its therapist" in missing.output
    unknown = run(
        "create-staff",
        "--email",
        "t@clinic.example",
        "--name",
        "Tom",
        "--role",
        "therapist",
        "--therapist",
        "nobody",
        env=env,
    )
    assert unknown.exit_code != 0
    assert "no therapist" in unknown.output
    assert _staff("t@clinic.example") is None


def test_staff_password_changes_the_hash_and_bumps_the_session_version(run):
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    run("create-staff", "--email", "a@clinic.example", "--name", "Ann", env=env)
    before = _staff("a@clinic.example")
    old_hash, old_version = before.password_hash, before.session_version
    result = run(
        "staff-password",
        "--email",
        "a@clinic.example",
        env={"BOOKING_STAFF_PASSWORD": "another long password"},
    )
    assert result.exit_code == 0, result.output
    after = _staff("a@clinic.example")
    assert after.password_hash != old_hash
    assert after.session_version == old_version + 1


def test_staff_password_refuses_a_short_one_and_an_unknown_email(run):
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    run("create-staff", "--email", "a@clinic.example", "--name", "Ann", env=env)
    short = run(
        "staff-password", "--email", "a@clinic.example", env={"BOOKING_STAFF_PASSWORD": "short"}
    )
    assert short.exit_code != 0
    assert "at least 12" in short.output
    unknown = run("staff-password", "--email", "nobody@clinic.example", env=env)
    assert unknown.exit_code != 0
    assert "no staff account" in unknown.output


def test_staff_deactivate_stops_sign_in(run):
    env = {"BOOKING_STAFF_PASSWORD": PASSWORD}
    run("create-staff", "--email", "a@clinic.example", "--name", "Ann", env=env)
    result = run("staff-deactivate", "--email", "a@clinic.example")
    assert result.exit_code == 0, result.output
    staff = _staff("a@clinic.example")
    assert not staff.active
    assert staff_service.authenticate("a@clinic.example", PASSWORD, now=staff.created_at) is None


def test_no_staff_account_exists_until_one_is_created(app):
    assert db.session.scalar(select(StaffUser)) is None
