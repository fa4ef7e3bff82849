"""Staff accounts: created with checked fields and audited; signing in answers the same for
every miss and records it; signing out, a new password and deactivation end every session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, StaffRole
from booking.services import staff
from booking.services.audit import Actor
from booking.services.errors import StaffError
from tests.support.builders import make_therapist

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def create(**fields):
    values = {
        "email": "Desk@Clinic.Example",
        "name": "Dana Desk",
        "role": StaffRole.RECEPTION,
        "password": PASSWORD,
        "actor": Actor.system(),
        "now": NOW,
    } | fields
    return staff.create_staff(**values)


def failures() -> list[dict]:
    return list(
        db.session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.action == "staff.login_failed")
            .order_by(AuditEvent.id)
        )
    )


def test_an_account_is_created_with_its_address_normalised_and_audited(app):
    member = create()
    assert (member.email, member.role, member.active) == (
        "desk@clinic.example",
        StaffRole.RECEPTION,
        True,
    )
    assert PASSWORD not in member.password_hash
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.created")).one()
    assert event.details == {"staff_id": member.id, "role": "reception"}
    assert staff.find_by_email(" DESK@clinic.example ") == member


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"email": "not an address"}, "invalid_email"),
        ({"role": "janitor"}, "invalid_role"),
        ({"password": "short"}, "weak_password"),
        ({"role": StaffRole.THERAPIST}, "therapist_required"),
        ({"therapist_id": 1}, "therapist_not_allowed"),
        ({"role": StaffRole.THERAPIST, "therapist_id": 999}, "unknown_therapist"),
    ],
)
def test_bad_fields_are_refused_with_a_reason(app, fields, reason):
    with pytest.raises(StaffError) as refused:
        create(**fields)
    assert refused.value.reason == reason


def test_a_therapist_account_links_to_its_therapist(app):
    therapist = make_therapist()
    member = create(role=StaffRole.THERAPIST, therapist_id=therapist.id)
    assert member.therapist_id == therapist.id


def test_one_account_per_address_whatever_its_case(app):
    create()
    with pytest.raises(StaffError) as refused:
        create(email="DESK@clinic.example", name="Someone Else")
    assert (refused.value.reason, refused.value.field) == ("duplicate_email", "email")


def test_signing_in_needs_the_right_password_of_an_active_account(app):
    member = create()
    assert staff.authenticate("desk@clinic.example", PASSWORD, now=NOW) == member
    assert staff.authenticate("desk@clinic.example", "wrong password!", now=NOW) is None
    assert staff.authenticate("nobody@clinic.example", PASSWORD, now=NOW) is None
    staff.deactivate(member, actor=Actor.system(), now=NOW)
    assert staff.authenticate("desk@clinic.example", PASSWORD, now=NOW) is None
    reasons = [details["reason"] for details in failures()]
    assert reasons == ["wrong_password", "unknown_email", "inactive"]
    # The unknown address is kept only as a hash; no password is ever written.
    assert "nobody" not in str(failures()) and PASSWORD not in str(failures())


@pytest.mark.parametrize("end", ["sign_out", "change_password", "deactivate"])
def test_every_session_ends(app, end):
    member = create()
    before = member.session_version
    if end == "sign_out":
        staff.sign_out(member, now=NOW)
    elif end == "change_password":
        staff.change_password(member, "a new long passphrase", actor=Actor.system(), now=NOW)
    else:
        staff.deactivate(member, actor=Actor.system(), now=NOW)
    assert member.session_version == before + 1


def test_a_new_password_replaces_the_old_one(app):
    member = create()
    staff.change_password(member, "a new long passphrase", actor=Actor.system(), now=NOW)
    assert staff.authenticate("desk@clinic.example", "a new long passphrase", now=NOW) == member
    assert staff.authenticate("desk@clinic.example", PASSWORD, now=NOW) is None
    with pytest.raises(StaffError):
        staff.change_password(member, "short", actor=Actor.system(), now=NOW)
